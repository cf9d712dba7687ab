{{/*
Per-service NetworkPolicy: the namespace is default-deny (see the umbrella chart / k8s base), and each
service opens only its documented paths. It selects every pod of the service (serving pods, the
migration Job and the helm test pod) through app.kubernetes.io/name.
*/}}
{{- define "shop-common.networkpolicy" -}}
{{- $np := .Values.global.networkPolicy -}}
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
      app.kubernetes.io/name: {{ $name }}
  policyTypes: [Ingress, Egress]
  ingress:
    # Public API through the ingress controller, and Prometheus scrapes of /metrics.
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $np.ingressNamespace }}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $np.monitoringNamespace }}
      ports:
        - port: http
          protocol: TCP
    # The service's own pods (helm test pod, payment's sandbox webhook callback).
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ $name }}
      ports:
        - port: http
          protocol: TCP
    {{- with .Values.networkPolicy.allowFrom }}
    # Services that call this one.
    - from:
        {{- range . }}
        - podSelector:
            matchLabels:
              app: {{ . }}
        {{- end }}
      ports:
        - port: http
          protocol: TCP
    {{- end }}
    {{- if and (.Values.grpc).enabled (.Values.grpc).allowFrom }}
    # gRPC ({{ .Values.grpc.port }}): only the services that call it.
    - from:
        {{- range .Values.grpc.allowFrom }}
        - podSelector:
            matchLabels:
              app: {{ . }}
        {{- end }}
      ports:
        - port: grpc
          protocol: TCP
    {{- end }}
  egress:
    # DNS.
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
    # Itself (same reasons as the ingress rule).
    - to:
        - podSelector:
            matchLabels:
              app: {{ $name }}
      ports:
        - port: http
          protocol: TCP
    {{- with .Values.networkPolicy.egressTo }}
    # Services this one calls.
    - to:
        {{- range . }}
        - podSelector:
            matchLabels:
              app: {{ . }}
        {{- end }}
      ports:
        - port: http
          protocol: TCP
    {{- end }}
    {{- with (.Values.grpc).calls }}
    # The gRPC port of the services this one calls over gRPC.
    - to:
        {{- range . }}
        - podSelector:
            matchLabels:
              app: {{ .service }}
        {{- end }}
      ports:
        - port: grpc
          protocol: TCP
    {{- end }}
    {{- with $np.extraEgress }}
    # PostgreSQL, Redis and the OpenTelemetry collector (where they run depends on the install).
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/*
The migration Job's extra egress: PostgreSQL directly (the services go through PgBouncer). The
service's own policy selects the Job's pods too (DNS, app.kubernetes.io/name); policies add up.
*/}}
{{- define "shop-common.migrationNetworkpolicy" -}}
{{- $name := include "shop-common.name" . -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $name }}-migrate
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
    app.kubernetes.io/component: migration
spec:
  podSelector:
    matchLabels:
      app: {{ $name }}-migrate
  policyTypes: [Egress]
  egress:
    {{- toYaml .Values.global.networkPolicy.migrationEgress | nindent 4 }}
{{- end -}}
