{{- define "shop-common.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "shop-common.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
    {{- if (.Values.grpc).enabled }}
    # gRPC (the `grpc` name prefix tells a mesh the protocol).
    - name: grpc
      port: {{ .Values.grpc.port }}
      targetPort: grpc
      protocol: TCP
    {{- end }}
  selector:
    {{- include "shop-common.selectorLabels" . | nindent 4 }}
{{- end -}}
