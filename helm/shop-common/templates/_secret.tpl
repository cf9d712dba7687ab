{{/*
Secrets, or nothing when they already exist. Args: (dict "root" $ "secrets" <map>), where each entry is
  <secret-name>:
    create: true|false     # false = existingSecret: created outside the chart (External Secrets,
                           # Sealed Secrets, kubectl); the chart only references it
    values: {KEY: value}   # literal values; empty ones are generated
    generate: {KEY: alnum|ecdsa}
Generated values are read back from the live Secret on upgrade (lookup), so a database password or a
JWT signing key does not change under running pods. The Secrets are kept on uninstall because a
PostgreSQL volume initialised with the password outlives the release.
*/}}
{{- define "shop-common.secrets" -}}
{{- $root := .root -}}
{{- range $name, $spec := .secrets }}
{{- if $spec.create }}
{{- $live := (lookup "v1" "Secret" $root.Release.Namespace $name) | default dict -}}
{{- $liveData := (get $live "data") | default dict }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    app.kubernetes.io/part-of: ecommerce
    app.kubernetes.io/instance: {{ $root.Release.Name }}
    app.kubernetes.io/managed-by: {{ $root.Release.Service }}
  annotations:
    helm.sh/resource-policy: keep
type: Opaque
data:
  {{- $keys := concat (keys ($spec.values | default dict)) (keys ($spec.generate | default dict)) | uniq | sortAlpha }}
  {{- range $key := $keys }}
  {{- $literal := get ($spec.values | default dict) $key }}
  {{- if $literal }}
  {{ $key }}: {{ $literal | toString | b64enc | quote }}
  {{- else if hasKey $liveData $key }}
  {{ $key }}: {{ get $liveData $key | quote }}
  {{- else }}
  {{- $kind := required (printf "secrets.%s: %s has no value and no generator" $name $key) (get ($spec.generate | default dict) $key) }}
  {{- if eq $kind "ecdsa" }}
  {{ $key }}: {{ genPrivateKey "ecdsa" | b64enc | quote }}
  {{- else if eq $kind "alnum" }}
  {{ $key }}: {{ randAlphaNum 32 | b64enc | quote }}
  {{- else }}
  {{- fail (printf "secrets.%s.generate.%s: unknown generator %q (use alnum or ecdsa)" $name $key $kind) }}
  {{- end }}
  {{- end }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}
