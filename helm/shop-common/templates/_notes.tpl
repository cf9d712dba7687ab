{{- define "shop-common.notes" -}}
{{- $name := include "shop-common.name" . -}}
{{ $name }} {{ include "shop-common.image" . }} is installed in namespace {{ .Release.Namespace }}.

  Service:   http://{{ $name }}.{{ .Release.Namespace }}.svc.cluster.local:{{ .Values.service.port }}
  Probes:    /healthz (liveness{{ if .Values.probes.startup.enabled }}, startup{{ end }}), /readyz (readiness), /metrics
  API docs:  /docs (OpenAPI at /openapi.json)

Check it:
  kubectl -n {{ .Release.Namespace }} rollout status deployment/{{ $name }}
  helm test {{ .Release.Name }} -n {{ .Release.Namespace }}
  kubectl -n {{ .Release.Namespace }} port-forward svc/{{ $name }} {{ .Values.service.port }}:{{ .Values.service.port }}

The pods read the ConfigMap `{{ .Values.global.configMapName }}` and the Secrets
`{{ .Values.global.secretNames.database }}`, `{{ .Values.global.secretNames.redis }}`, `{{ .Values.global.secretNames.internalApi }}`
{{- range $n, $s := .Values.secrets }}, `{{ $n }}`{{ end }}.
{{- if not .Values.global.sharedResourcesManagedByParent }}
This chart does not create the shared ones: install the `shop` umbrella chart (which does), or create
them first (see helm/README.md).
{{- end }}
{{- end -}}
