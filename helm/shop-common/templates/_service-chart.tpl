{{/*
Everything a service chart renders, so each service chart's templates/ is one include and its
values.yaml carries the differences.
*/}}
{{- define "shop-common.serviceChart" -}}
{{- if .Values.serviceAccount.create }}
---
{{ include "shop-common.serviceaccount" . }}
{{- end }}
---
{{ include "shop-common.deployment" . }}
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
{{- if .Values.serviceMonitor.enabled }}
---
{{ include "shop-common.servicemonitor" . }}
{{- end }}
{{- if .Values.global.networkPolicy.enabled }}
---
{{ include "shop-common.networkpolicy" . }}
{{- if .Values.migration.enabled }}
---
{{ include "shop-common.migrationNetworkpolicy" . }}
{{- end }}
{{- end }}
{{- if .Values.migration.enabled }}
---
{{ include "shop-common.migrationServiceAccount" . }}
---
{{ include "shop-common.migrationJob" . }}
{{- end }}
{{ include "shop-common.secrets" (dict "root" . "secrets" .Values.secrets) }}
{{- end -}}
