{{/*
A static web app served by nginx (the storefront): the same labels, security posture, rollout,
Service, HPA and PDB shapes as the services, but no config, no Secrets, no migrations and no /metrics
(nginx serves files; it talks to nothing). Its NetworkPolicy lets only the ingress controller in and
nothing out.
*/}}
{{- define "shop-common.staticSiteChart" -}}
{{- if .Values.serviceAccount.create }}
---
{{ include "shop-common.serviceaccount" . }}
{{- end }}
---
{{ include "shop-common.staticSiteDeployment" . }}
---
{{ include "shop-common.service" . }}
{{- if .Values.autoscaling.enabled }}
---
{{ include "shop-common.hpa" . }}
{{- end }}
{{- if .Values.podDisruptionBudget.enabled }}
---
{{ include "shop-common.pdb" . }}
{{- end }}
{{- if .Values.global.networkPolicy.enabled }}
---
{{ include "shop-common.staticSiteNetworkPolicy" . }}
{{- end }}
{{- end -}}

{{- define "shop-common.staticSiteDeployment" -}}
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
        # `kubectl logs/exec` pick nginx, also when the mesh adds its sidecar.
        kubectl.kubernetes.io/default-container: {{ include "shop-common.name" . }}
        {{- with (((.Values.global).istio).enabled) }}
        {{- $proxy := $.Values.global.istio.proxy }}
        {{- /* Same sidecar sizing and start order as the services (k8s/components/istio). */}}
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
      # nginx never calls the Kubernetes API, so no token is mounted.
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
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          # Liveness: nginx answers. Readiness: the build output is in place (/readyz checks index.html).
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            initialDelaySeconds: {{ .Values.probes.liveness.initialDelaySeconds }}
            periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            initialDelaySeconds: {{ .Values.probes.readiness.initialDelaySeconds }}
            periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
          lifecycle:
            # Endpoints and the ingress stop routing here before nginx gets its stop signal (the image's
            # STOPSIGNAL SIGQUIT: finish the requests in flight).
            preStop:
              sleep:
                seconds: {{ .Values.lifecycle.preStopSleepSeconds }}
          securityContext:
            {{- include "shop-common.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "shop-common.tmpMount" . | nindent 12 }}
      volumes:
        {{- include "shop-common.tmpVolume" . | nindent 8 }}
{{- end -}}

{{/*
The web app talks to nobody: the browser calls the APIs through the Ingress, never through the pod.
So ingress only from the ingress controller's namespace (and the helm test pod), and no egress at all.
*/}}
{{- define "shop-common.staticSiteNetworkPolicy" -}}
{{- $name := include "shop-common.name" . -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      app: {{ $name }}
  policyTypes: [Ingress, Egress]
  ingress:
    # Browsers through the ingress controller.
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .Values.global.networkPolicy.ingressNamespace }}
      ports:
        - port: http
          protocol: TCP
    # `helm test` asks /readyz from a pod of the release.
    - from:
        - podSelector:
            matchLabels:
              app: {{ $name }}-test
      ports:
        - port: http
          protocol: TCP
  # No egress rule: nothing leaves these pods (not even DNS; nginx resolves nothing).
  egress: []
{{- end -}}

{{/*
`helm test`: the storefront image's own curl asks the Service for /readyz. The test pod gets its own
NetworkPolicy (DNS and the storefront only), created as part of the test.
*/}}
{{- define "shop-common.staticSiteTestPod" -}}
{{- $name := include "shop-common.name" . -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $name }}-test
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-weight: "-1"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  podSelector:
    matchLabels:
      app: {{ $name }}-test
  policyTypes: [Ingress, Egress]
  ingress: []
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    - to:
        - podSelector:
            matchLabels:
              app: {{ $name }}
      ports:
        - port: http
          protocol: TCP
---
apiVersion: v1
kind: Pod
metadata:
  name: {{ $name }}-test-readyz
  namespace: {{ .Release.Namespace }}
  labels:
    app: {{ $name }}-test
    app.kubernetes.io/name: {{ $name }}
    app.kubernetes.io/component: test
    app.kubernetes.io/part-of: ecommerce
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  serviceAccountName: {{ $name }}
  automountServiceAccountToken: false
  securityContext:
    {{- include "shop-common.podSecurityContext" . | nindent 4 }}
  containers:
    - name: readyz
      image: {{ include "shop-common.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command:
        - curl
        - -fsS
        - --max-time
        - "5"
        - {{ printf "http://%s.%s.svc.cluster.local:%v/readyz" $name .Release.Namespace .Values.service.port }}
      resources:
        {{- toYaml .Values.test.resources | nindent 8 }}
      securityContext:
        {{- include "shop-common.containerSecurityContext" . | nindent 8 }}
      volumeMounts:
        {{- include "shop-common.tmpMount" . | nindent 8 }}
  volumes:
    {{- include "shop-common.tmpVolume" . | nindent 4 }}
{{- end -}}

{{- define "shop-common.staticSiteNotes" -}}
{{- $name := include "shop-common.name" . -}}
{{ $name }} {{ include "shop-common.image" . }} is installed in namespace {{ .Release.Namespace }}.

  Service:   http://{{ $name }}.{{ .Release.Namespace }}.svc.cluster.local:{{ .Values.service.port }}
  Probes:    /healthz (liveness), /readyz (readiness)
  Route it at `/` of the Ingress that sends /api/v1/* to the services (the `shop` chart does).

Check it:
  kubectl -n {{ .Release.Namespace }} rollout status deployment/{{ $name }}
  helm test {{ .Release.Name }} -n {{ .Release.Namespace }}
{{- end -}}
