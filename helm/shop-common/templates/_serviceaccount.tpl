{{- define "shop-common.serviceaccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "shop-common.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
# The services do not talk to the Kubernetes API; no token unless a pod asks for one explicitly.
automountServiceAccountToken: false
{{- end -}}
