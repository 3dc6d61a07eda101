{{/*
The chart name, or nameOverride.
*/}}
{{- define "transfer-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects: fullnameOverride, or the release name followed by the
chart name unless the release name already contains it. Truncated to 63 characters (DNS labels).
*/}}
{{- define "transfer-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The chart label value: name-version.
*/}}
{{- define "transfer-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "transfer-operator.labels" -}}
helm.sh/chart: {{ include "transfer-operator.chart" . }}
{{ include "transfer-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: transfer-operator
{{- end }}

{{/*
Labels that select the operator Pods. Never change them: a Deployment's selector is immutable.
*/}}
{{- define "transfer-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "transfer-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The operator's ServiceAccount name.
*/}}
{{- define "transfer-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "transfer-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The operator's ServiceAccount as an RBAC subject.
*/}}
{{- define "transfer-operator.subject" -}}
- kind: ServiceAccount
  name: {{ include "transfer-operator.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}

{{/*
The rules the operator needs on its own kinds, Secrets and Events: those of config/rbac/role.yaml,
which `make manifests` generates from the +kubebuilder:rbac markers and `make helm-sync` copies
into files/rbac/role.yaml. A test keeps the two equal.
*/}}
{{- define "transfer-operator.managerRules" -}}
{{- $role := .Files.Get "files/rbac/role.yaml" | fromYaml }}
{{- if not $role.rules }}
{{- fail "files/rbac/role.yaml has no rules: run make helm-sync" }}
{{- end }}
{{- toYaml $role.rules }}
{{- end }}

{{/*
The image reference: repository:tag, the tag defaulting to the chart's appVersion.
*/}}
{{- define "transfer-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The metrics port name: https when metrics are served securely.
*/}}
{{- define "transfer-operator.metricsPortName" -}}
{{- if .Values.metrics.secure }}https{{ else }}http{{ end }}
{{- end }}

{{/*
Whether leader election is on; fails when several replicas would run without it.
*/}}
{{- define "transfer-operator.leaderElect" -}}
{{- if and (not .Values.leaderElection.enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail "leaderElection.enabled=false with replicaCount > 1 would run several active reconcilers: enable leader election or set replicaCount to 1" }}
{{- end }}
{{- .Values.leaderElection.enabled }}
{{- end }}
