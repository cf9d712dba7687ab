{{/*
Migration Job: `node dist/migrate.js` from the service image, as a Helm hook so the schema is in place
before new pods start (pre-upgrade) and never raced by replicas. The kit's migration runner holds a
session-level advisory lock, which a transaction-mode pooler (PgBouncer) cannot keep, so the Job connects
to PostgreSQL directly (global.directDatabase), not through the pooler the services use. It gets only
what migrate.js reads (database, log settings), inline: no app-config (absent when a pre-install hook
runs), no Redis, JWT or internal credentials. Its ServiceAccount is a hook of the same events with a
lower weight: the release's ServiceAccounts are created only after the pre-install hooks.
*/}}
{{- define "shop-common.migrationServiceAccount" -}}
{{- $m := .Values.migration -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "shop-common.name" . }}-migrate
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
    app.kubernetes.io/component: migration
  annotations:
    helm.sh/hook: {{ $m.hook }}
    helm.sh/hook-weight: "-10"
    # Kept after the hook succeeds (the Job needs it next); replaced before the next one.
    helm.sh/hook-delete-policy: before-hook-creation
automountServiceAccountToken: false
{{- end -}}

{{- define "shop-common.migrationJob" -}}
{{- $m := .Values.migration -}}
{{- $db := .Values.global.directDatabase -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "shop-common.name" . }}-migrate
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
    app.kubernetes.io/component: migration
  annotations:
    helm.sh/hook: {{ $m.hook }}
    helm.sh/hook-weight: "-5"
    # Failed Jobs stay for `kubectl logs`; the next attempt replaces them.
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ $m.backoffLimit }}
  activeDeadlineSeconds: {{ $m.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        app: {{ include "shop-common.name" . }}-migrate
        app.kubernetes.io/name: {{ include "shop-common.name" . }}
        app.kubernetes.io/component: migration
        app.kubernetes.io/part-of: ecommerce
        {{- if (((.Values.global).istio).enabled) }}
        # PostgreSQL is outside the mesh, and a sidecar would keep the finished Job running.
        sidecar.istio.io/inject: "false"
        {{- end }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "shop-common.name" . }}-migrate
      automountServiceAccountToken: false
      securityContext:
        {{- include "shop-common.podSecurityContext" . | nindent 8 }}
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: migrate
          image: {{ include "shop-common.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          command: ["node", "dist/migrate.js"]
          env:
            - name: SERVICE_NAME
              value: {{ include "shop-common.name" . | quote }}
            # Direct to PostgreSQL: the advisory lock is session-level.
            - name: DB_HOST
              value: {{ tpl (toString $db.host) $ | quote }}
            - name: DB_PORT
              value: {{ $db.port | toString | quote }}
            {{- range $key := list "DB_NAME" "DB_CONNECTION_TIMEOUT" "LOG_LEVEL" "LOG_FORMAT" }}
            - name: {{ $key }}
              value: {{ tpl (toString (index $.Values.global.config $key)) $ | quote }}
            {{- end }}
            {{- include "shop-common.secretEnv" (list "DB_USERNAME" .Values.global.secretNames.database "DB_USERNAME" false) | nindent 12 }}
            {{- include "shop-common.secretEnv" (list "DB_PASSWORD" .Values.global.secretNames.database "DB_PASSWORD" false) | nindent 12 }}
          resources:
            {{- toYaml $m.resources | nindent 12 }}
          securityContext:
            {{- include "shop-common.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "shop-common.tmpMount" . | nindent 12 }}
      volumes:
        {{- include "shop-common.tmpVolume" . | nindent 8 }}
{{- end -}}
