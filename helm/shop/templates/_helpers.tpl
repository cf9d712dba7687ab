{{- define "shop.labels" -}}
app.kubernetes.io/part-of: ecommerce
{{ include "shop.releaseLabels" . }}
{{- end -}}

{{/* What Helm adds to every object of the release (and nothing else). */}}
{{- define "shop.releaseLabels" -}}
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

{{/*
Objects shared with k8s/ (files/ links to them, so there is one source): every document of a file,
re-emitted with the release's labels, the release namespace in place of `microservices`, and without
the ArgoCD annotations (Helm orders by hooks, not sync waves). Args: (dict "root" $ "file" "files/x.yaml").
*/}}
{{- define "shop.fromFile" -}}
{{- $root := .root -}}
{{- range $doc := regexSplit "(?m)^---\\s*$" ($root.Files.Get .file) -1 }}
{{- $o := fromYaml $doc }}
{{- if $o.kind }}
{{- $meta := $o.metadata }}
{{- if eq (toString $meta.namespace) "microservices" }}
{{- $_ := set $meta "namespace" $root.Release.Namespace }}
{{- end }}
{{- if and (eq $o.kind "ResourceQuota") $.quotaHard }}
{{- $_ := set $o "spec" (dict "hard" (merge (dict) $.quotaHard $o.spec.hard)) }}
{{- end }}
{{- $labels := merge (dict) ($meta.labels | default dict) (include "shop.releaseLabels" $root | fromYaml) }}
{{- $_ := set $meta "labels" $labels }}
{{- $annotations := dict }}
{{- range $k, $v := ($meta.annotations | default dict) }}
{{- if not (hasPrefix "argocd.argoproj.io/" $k) }}
{{- $_ := set $annotations $k $v }}
{{- end }}
{{- end }}
{{- if $annotations }}
{{- $_ := set $meta "annotations" $annotations }}
{{- else }}
{{- $_ := unset $meta "annotations" }}
{{- end }}
---
{{ toYaml $o }}
{{- end }}
{{- end }}
{{- end -}}
