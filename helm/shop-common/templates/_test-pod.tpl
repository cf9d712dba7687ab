{{/*
`helm test` pod: asks the Service for /readyz with the service's own image (Node's fetch), so the test
needs no third-party image and runs under the same restricted security context.
*/}}
{{- define "shop-common.testPod" -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "shop-common.name" . }}-test-readyz
  namespace: {{ .Release.Namespace }}
  labels:
    app: {{ include "shop-common.name" . }}-test
    app.kubernetes.io/name: {{ include "shop-common.name" . }}
    app.kubernetes.io/component: test
    app.kubernetes.io/part-of: ecommerce
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  serviceAccountName: {{ include "shop-common.name" . }}
  automountServiceAccountToken: false
  securityContext:
    {{- include "shop-common.podSecurityContext" . | nindent 4 }}
  containers:
    - name: readyz
      image: {{ include "shop-common.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command:
        - node
        - -e
        - >-
          fetch(process.argv[1], { signal: AbortSignal.timeout(5000) })
          .then(async (r) => { console.log(r.status, await r.text()); process.exit(r.ok ? 0 : 1); },
          (e) => { console.error(e.message); process.exit(1); })
        - {{ printf "http://%s.%s.svc.cluster.local:%v/readyz" (include "shop-common.name" .) .Release.Namespace .Values.service.port }}
      resources:
        {{- toYaml .Values.test.resources | nindent 8 }}
      securityContext:
        {{- include "shop-common.containerSecurityContext" . | nindent 8 }}
      volumeMounts:
        {{- include "shop-common.tmpMount" . | nindent 8 }}
  volumes:
    {{- include "shop-common.tmpVolume" . | nindent 4 }}
{{- end -}}
