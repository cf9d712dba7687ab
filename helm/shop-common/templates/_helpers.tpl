{{/*
Shared helpers. Object names are fixed by the design (`user-service`, …) rather than derived from the
release name, so Helm and the Kustomize overlays produce the same objects and the services can reach
each other at stable DNS names whatever the release is called.
*/}}

{{/* The service name, e.g. `user-service`. */}}
{{- define "shop-common.name" -}}
{{- required "name is required (the fixed Kubernetes name, e.g. user-service)" .Values.name -}}
{{- end -}}

{{/* Labels on every object's metadata (not on pod templates: those must stay identical to Kustomize). */}}
{{- define "shop-common.labels" -}}
app: {{ include "shop-common.name" . }}
app.kubernetes.io/name: {{ include "shop-common.name" . }}
app.kubernetes.io/part-of: ecommerce
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* The immutable Deployment selector (seed: `app: <service>`). */}}
{{- define "shop-common.selectorLabels" -}}
app: {{ include "shop-common.name" . }}
{{- end -}}

{{/* Labels of the serving pods. */}}
{{- define "shop-common.podLabels" -}}
app: {{ include "shop-common.name" . }}
version: v1
app.kubernetes.io/name: {{ include "shop-common.name" . }}
app.kubernetes.io/component: {{ .Values.component }}
app.kubernetes.io/part-of: ecommerce
{{- end -}}

{{/* Image reference; an empty tag means the chart's appVersion. */}}
{{- define "shop-common.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "%s: image.tag \"latest\" is not allowed; pin an immutable tag (semver or commit SHA) so rollouts and rollbacks are reproducible" .Values.name) -}}
{{- end -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}

{{/* Pod-level security context: Pod Security Standards `restricted`, fixed non-root UID/GID 10001. */}}
{{- define "shop-common.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context. */}}
{{- define "shop-common.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/*
A secretKeyRef env entry. Args: (list name secretName key optional).
*/}}
{{- define "shop-common.secretEnv" -}}
{{- $name := index . 0 -}}{{- $secret := index . 1 -}}{{- $key := index . 2 -}}{{- $optional := index . 3 -}}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
      {{- if $optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/*
Environment every container of a service gets (service pods and the migration Job): identity,
credentials from the shared Secrets, and the service's own plain and secret variables. Config that is
the same for every service comes from the `app-config` ConfigMap (envFrom) on the serving pods.
*/}}
{{- define "shop-common.serviceEnv" -}}
- name: SERVICE_NAME
  value: {{ include "shop-common.name" . | quote }}
- name: SERVICE_PORT
  value: {{ .Values.containerPort | quote }}
{{- if (.Values.grpc).enabled }}
- name: GRPC_PORT
  value: {{ .Values.grpc.port | quote }}
{{- else if hasKey (.Values.grpc | default dict) "enabled" }}
# grpc.enabled=false: the service does not listen for gRPC at all.
- name: GRPC_PORT
  value: "0"
{{- end }}
{{ include "shop-common.secretEnv" (list "DB_USERNAME" .Values.global.secretNames.database "DB_USERNAME" false) }}
{{ include "shop-common.secretEnv" (list "DB_PASSWORD" .Values.global.secretNames.database "DB_PASSWORD" false) }}
{{ include "shop-common.secretEnv" (list "REDIS_PASSWORD" .Values.global.secretNames.redis "REDIS_PASSWORD" false) }}
{{ include "shop-common.secretEnv" (list "INTERNAL_API_TOKEN" .Values.global.secretNames.internalApi "INTERNAL_API_TOKEN" false) }}
- name: SHUTDOWN_DELAY_MS
  value: {{ .Values.shutdown.delayMs | quote }}
- name: SHUTDOWN_TIMEOUT_MS
  value: {{ .Values.shutdown.timeoutMs | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ include "shop-common.name" . | quote }}
{{- range $key, $value := .Values.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- range (.Values.grpc).calls }}
- name: {{ printf "%s_GRPC_URL" (.service | trimSuffix "-service" | upper) }}
  value: {{ printf "%s:%v" .service .port | quote }}
{{- end }}
{{- range .Values.secretEnv }}
{{ include "shop-common.secretEnv" (list .name .secret .key (default false .optional)) }}
{{- end }}
{{- end -}}

{{/* The writable /tmp every container gets, since the root filesystem is read-only. */}}
{{- define "shop-common.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{- define "shop-common.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}
