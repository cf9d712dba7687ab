{{- define "shop-common.pdb" -}}
{{- $p := .Values.podDisruptionBudget -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "shop-common.name" . }}-pdb
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
spec:
  {{- if hasKey $p "minAvailable" }}
  minAvailable: {{ $p.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $p.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "shop-common.selectorLabels" . | nindent 6 }}
  # A crash-looping pod must not block a node drain (policy/v1 field, seed 6.2).
  unhealthyPodEvictionPolicy: {{ $p.unhealthyPodEvictionPolicy }}
{{- end -}}
