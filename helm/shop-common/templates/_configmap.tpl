{{/*
The shared `app-config` ConfigMap (seed 2.2). Values may contain templates (e.g. the release namespace
in a host name), so each one goes through tpl.
*/}}
{{- define "shop-common.appConfig" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.global.configMapName }}
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/part-of: ecommerce
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/managed-by: {{ .Release.Service }}
data:
  {{- range $key, $value := .Values.global.config }}
  {{ $key }}: {{ tpl (toString $value) $ | quote }}
  {{- end }}
{{- end -}}
