{{- define "shop.labels" -}}
app.kubernetes.io/part-of: ecommerce
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "shop.dataPodSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.dataSecurityContext.runAsUser }}
runAsGroup: {{ .Values.dataSecurityContext.runAsGroup }}
fsGroup: {{ .Values.dataSecurityContext.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "shop.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}
