{{- define "shop-common.servicemonitor" -}}
{{- $m := .Values.serviceMonitor -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "shop-common.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
    {{- with $m.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ include "shop-common.name" . }}
      app.kubernetes.io/part-of: ecommerce
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $m.interval }}
      scrapeTimeout: {{ $m.scrapeTimeout }}
      honorLabels: true
      {{- if (((.Values.global).istio).enabled) }}
      # STRICT mTLS: Prometheus presents its mesh certificate (helm/README.md, Istio).
      scheme: https
      tlsConfig:
        caFile: /etc/prom-certs/root-cert.pem
        certFile: /etc/prom-certs/cert-chain.pem
        keyFile: /etc/prom-certs/key.pem
        insecureSkipVerify: true
      {{- end }}
      relabelings:
        - sourceLabels: [__meta_kubernetes_pod_name]
          targetLabel: pod
        - sourceLabels: [__meta_kubernetes_namespace]
          targetLabel: namespace
        # The alerts and dashboards aggregate `by (app)`.
        - sourceLabels: [__meta_kubernetes_pod_label_app]
          targetLabel: app
{{- end -}}
