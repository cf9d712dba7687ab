{{/*
Deployment of one service. Every number comes from values (the seed's blueprint is the default); the
shape is fixed here so all four services get the same probes, shutdown and security posture.
*/}}
{{- define "shop-common.deployment" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "shop-common.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
    version: v1
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      {{- include "shop-common.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: {{ .Values.rollingUpdate.maxSurge }}
      maxUnavailable: {{ .Values.rollingUpdate.maxUnavailable }}
  template:
    metadata:
      labels:
        {{- include "shop-common.podLabels" . | nindent 8 }}
        {{- if (((.Values.global).istio).enabled) }}
        sidecar.istio.io/inject: "true"
        {{- end }}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .Values.containerPort | quote }}
        prometheus.io/path: /metrics
        {{- with (((.Values.global).istio).enabled) }}
        {{- $proxy := $.Values.global.istio.proxy }}
        {{- /* The injected istio-proxy container inside the namespace's LimitRange and quota, and the
        app starting only once its proxy is ready (k8s/components/istio). */}}
        proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true}'
        sidecar.istio.io/proxyCPU: {{ $proxy.cpu }}
        sidecar.istio.io/proxyCPULimit: {{ $proxy.cpuLimit }}
        sidecar.istio.io/proxyMemory: {{ $proxy.memory }}
        sidecar.istio.io/proxyMemoryLimit: {{ $proxy.memoryLimit }}
        {{- end }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "shop-common.name" . }}
      # The services never call the Kubernetes API, so no token is mounted.
      automountServiceAccountToken: false
      securityContext:
        {{- include "shop-common.podSecurityContext" . | nindent 8 }}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                labelSelector:
                  matchLabels:
                    {{- include "shop-common.selectorLabels" . | nindent 20 }}
                topologyKey: kubernetes.io/hostname
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ include "shop-common.name" . }}
          image: {{ include "shop-common.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.containerPort }}
              protocol: TCP
            {{- if (.Values.grpc).enabled }}
            # Internal gRPC API and grpc.health.v1.Health; the NetworkPolicy admits only grpc.allowFrom.
            - name: grpc
              containerPort: {{ .Values.grpc.port }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ .Values.global.configMapName }}
          env:
            {{- include "shop-common.serviceEnv" . | nindent 12 }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          {{- if .Values.probes.startup.enabled }}
          # Liveness waits until the process has started (seed 4.2), so a slow first boot is not killed.
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ .Values.probes.startup.periodSeconds }}
            failureThreshold: {{ .Values.probes.startup.failureThreshold }}
          {{- end }}
          # Liveness checks only the process (never dependencies): a database blip must not restart pods.
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            initialDelaySeconds: {{ .Values.probes.liveness.initialDelaySeconds }}
            periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
          readinessProbe:
            {{- if and (.Values.grpc).enabled (.Values.grpc).readinessProbe }}
            # Kubernetes' native gRPC probe (grpc.health.v1.Health/Check): SERVING exactly when /readyz is 200.
            grpc:
              port: {{ .Values.grpc.port }}
            {{- else }}
            httpGet:
              path: /readyz
              port: http
            {{- end }}
            initialDelaySeconds: {{ .Values.probes.readiness.initialDelaySeconds }}
            periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
          lifecycle:
            # Native sleep action (no shell in the image needed): lets endpoints and the ingress
            # stop routing to the pod before SIGTERM starts the drain.
            preStop:
              sleep:
                seconds: {{ .Values.lifecycle.preStopSleepSeconds }}
          securityContext:
            {{- include "shop-common.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "shop-common.tmpMount" . | nindent 12 }}
            - name: flags
              mountPath: /etc/shop/flags
              readOnly: true
      volumes:
        {{- include "shop-common.tmpVolume" . | nindent 8 }}
        # Runtime fault flags (FLAGS_FILE in app-config); optional: without it every flag is off.
        - name: flags
          configMap:
            name: {{ .Values.global.flagsConfigMapName | default "shop-flags" }}
            optional: true
{{- end -}}
