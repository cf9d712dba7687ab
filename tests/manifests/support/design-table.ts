/** DESIGN §5 (values from seed 001): what every blueprint render must contain, exactly. */
export interface ServiceBlueprint {
  port: number;
  /** Seed 001's second port of the user service, `grpc` (container, Service, GRPC_PORT). */
  grpcPort?: number;
  replicas: number;
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
  /** initialDelaySeconds / periodSeconds / timeoutSeconds / failureThreshold */
  liveness: [number, number, number, number];
  readiness: [number, number, number, number];
  startup?: { periodSeconds: number; failureThreshold: number };
  preStopSleepSeconds: number;
  terminationGracePeriodSeconds: number;
  hpa: { min: number; max: number; metrics: unknown[]; behavior: unknown };
  pdb: { minAvailable?: number | string; maxUnavailable?: number | string };
}

const cpu = (averageUtilization: number) => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization } },
});
const memory = (averageUtilization: number) => ({
  type: 'Resource',
  resource: { name: 'memory', target: { type: 'Utilization', averageUtilization } },
});

/** Seed 6.1, user-service HPA (and the services the design says to make "user-like"). */
const userBehavior = {
  scaleUp: {
    stabilizationWindowSeconds: 60,
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 60 },
      { type: 'Percent', value: 100, periodSeconds: 60 },
    ],
    selectPolicy: 'Max',
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    policies: [{ type: 'Pods', value: 2, periodSeconds: 120 }],
    selectPolicy: 'Min',
  },
};
/** Seed 6.1, order-service HPA. */
const orderBehavior = {
  scaleUp: { stabilizationWindowSeconds: 30, policies: [{ type: 'Pods', value: 6, periodSeconds: 60 }] },
  scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 2, periodSeconds: 120 }] },
};

export const BLUEPRINT: Record<string, ServiceBlueprint> = {
  'user-service': {
    port: 8080,
    grpcPort: 9090,
    replicas: 3,
    requests: { cpu: '200m', memory: '256Mi' },
    limits: { cpu: '1', memory: '512Mi' },
    liveness: [15, 15, 5, 3],
    readiness: [5, 10, 3, 3],
    preStopSleepSeconds: 10,
    terminationGracePeriodSeconds: 30,
    hpa: { min: 3, max: 20, metrics: [cpu(70), memory(80)], behavior: userBehavior },
    pdb: { minAvailable: 2 },
  },
  'product-service': {
    port: 8081,
    replicas: 3,
    requests: { cpu: '300m', memory: '512Mi' },
    limits: { cpu: '2', memory: '1Gi' },
    liveness: [30, 15, 5, 3],
    readiness: [15, 10, 3, 3],
    preStopSleepSeconds: 10,
    terminationGracePeriodSeconds: 30,
    hpa: { min: 3, max: 20, metrics: [cpu(70), memory(80)], behavior: userBehavior },
    pdb: { minAvailable: 2 },
  },
  'order-service': {
    port: 8082,
    replicas: 3,
    requests: { cpu: '300m', memory: '384Mi' },
    limits: { cpu: '1', memory: '768Mi' },
    liveness: [20, 15, 5, 3],
    readiness: [10, 10, 3, 3],
    startup: { periodSeconds: 10, failureThreshold: 30 },
    preStopSleepSeconds: 15,
    terminationGracePeriodSeconds: 60,
    hpa: {
      min: 3,
      max: 30,
      metrics: [
        cpu(65),
        {
          type: 'Pods',
          pods: {
            metric: { name: 'http_request_duration_seconds_p99' },
            target: { type: 'AverageValue', averageValue: '500m' },
          },
        },
      ],
      behavior: orderBehavior,
    },
    pdb: { maxUnavailable: '50%' },
  },
  'payment-service': {
    port: 8083,
    replicas: 2,
    requests: { cpu: '200m', memory: '256Mi' },
    limits: { cpu: '1', memory: '512Mi' },
    liveness: [15, 15, 5, 3],
    readiness: [5, 10, 3, 3],
    preStopSleepSeconds: 15,
    terminationGracePeriodSeconds: 60,
    hpa: { min: 2, max: 10, metrics: [cpu(70), memory(80)], behavior: userBehavior },
    pdb: { minAvailable: 1 },
  },
};

export const SERVICE_NAMES = Object.keys(BLUEPRINT);
