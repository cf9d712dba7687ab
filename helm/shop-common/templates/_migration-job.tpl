{{/*
Migration Job: `node dist/migrate.js` from the service image, as a Helm hook so the schema is in place
before new pods start (pre-upgrade) and never raced by replicas. The kit's migration runner holds an
advisory lock, so a retried Job is safe. The Job gets its configuration inline rather than from the
app-config ConfigMap, which does not exist yet when a pre-install hook runs.
*/}}
{{- define "shop-common.migrationJob" -}}
{{- $m := .Values.migration -}}
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
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "shop-common.name" . }}
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
            {{- range $key, $value := .Values.global.config }}
            - name: {{ $key }}
              value: {{ tpl (toString $value) $ | quote }}
            {{- end }}
            {{- include "shop-common.serviceEnv" . | nindent 12 }}
          resources:
            {{- toYaml $m.resources | nindent 12 }}
          securityContext:
            {{- include "shop-common.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "shop-common.tmpMount" . | nindent 12 }}
      volumes:
        {{- include "shop-common.tmpVolume" . | nindent 8 }}
{{- end -}}
