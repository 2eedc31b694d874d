{{/* Names and labels. */}}
{{- define "llama-orleans.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "llama-orleans.fullname" -}}
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

{{- define "llama-orleans.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "llama-orleans.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llama-orleans.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "llama-orleans.labels" -}}
helm.sh/chart: {{ include "llama-orleans.chart" . }}
{{ include "llama-orleans.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: llama-orleans
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selects every silo pod of the release (the HTTP Service, ServiceMonitor). */}}
{{- define "llama-orleans.siloSelectorLabels" -}}
{{ include "llama-orleans.selectorLabels" . }}
app.kubernetes.io/component: silo
{{- end }}

{{- define "llama-orleans.clusterId" -}}
{{- default (include "llama-orleans.fullname" .) .Values.orleans.clusterId }}
{{- end }}

{{- define "llama-orleans.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "llama-orleans.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: with serviceAccount.create false, name an existing ServiceAccount" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "llama-orleans.redisName" -}}
{{- printf "%s-redis" (include "llama-orleans.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Whether Redis serves clustering or storage at all. */}}
{{- define "llama-orleans.usesRedis" -}}
{{- if or (eq .Values.orleans.clusteringMode "Redis") (eq .Values.storage.provider "Redis") }}true{{ end }}
{{- end }}

{{/* Whether the bundled Redis is deployed: Redis is used, no external one is named, and it is enabled. */}}
{{- define "llama-orleans.bundledRedis" -}}
{{- if and (include "llama-orleans.usesRedis" .) (not .Values.connectionStrings.redis.existingSecret) .Values.redis.enabled }}true{{ end }}
{{- end }}

{{- define "llama-orleans.usesPostgreSql" -}}
{{- if or (eq .Values.orleans.clusteringMode "PostgreSql") (eq .Values.storage.provider "PostgreSql") }}true{{ end }}
{{- end }}

{{/* A duration in seconds as a TimeSpan string (hh:mm:ss), the form .NET configuration binds. */}}
{{- define "llama-orleans.timespan" -}}
{{- $s := int . }}
{{- printf "%02d:%02d:%02d" (div $s 3600) (mod (div $s 60) 60) (mod $s 60) }}
{{- end }}

{{/*
Checks the values that the schema cannot: cross references between models and groups, and that each
connection the chosen providers need has a source. Renders nothing; fails the render with the reason.
*/}}
{{- define "llama-orleans.validate" -}}
{{- $models := (include "llama-orleans.models" . | fromYaml).items }}
{{- $groups := (include "llama-orleans.siloGroups" . | fromYaml).items }}
{{- $modelNames := list }}
{{- range $models }}
{{- if has .name $modelNames }}
{{- fail (printf "models: the name %q appears twice; model names must be distinct" .name) }}
{{- end }}
{{- $modelNames = append $modelNames .name }}
{{- if and (ne .parallel "None") (not .worldSize) }}
{{- fail (printf "models[%s].worldSize: a %s-parallel model needs its number of ranks or stages" .name .parallel) }}
{{- end }}
{{- end }}
{{- $groupNames := list }}
{{- range $groups }}
{{- if has .name $groupNames }}
{{- fail (printf "siloGroups: the name %q appears twice; group names must be distinct" .name) }}
{{- end }}
{{- $groupNames = append $groupNames .name }}
{{- $setName := printf "%s-%s" (include "llama-orleans.fullname" $) .name }}
{{- if gt (len $setName) 52 }}
{{- fail (printf "siloGroups[%s]: the StatefulSet name %q is longer than 52 characters, which leaves no room for its pods' controller-revision-hash label; shorten the release name, fullnameOverride or the group name" .name $setName) }}
{{- end }}
{{- end }}
{{- range $model := $models }}
{{- $hosted := list }}
{{- range $group := $groups }}
{{- range $group.models }}
{{- if eq .name $model.name }}
{{- if eq $model.parallel "None" }}
{{- if .ranks }}
{{- fail (printf "siloGroups[%s].models[%s].ranks: the model is not parallel (parallel: None), so it has no ranks" $group.name .name) }}
{{- end }}
{{- else }}
{{- if not .ranks }}
{{- fail (printf "siloGroups[%s].models[%s].ranks: the model is %s-parallel; list the ranks this group hosts" $group.name .name $model.parallel) }}
{{- end }}
{{- range $rank := .ranks }}
{{- if ge (int $rank) (int $model.worldSize) }}
{{- fail (printf "siloGroups[%s].models[%s].ranks: rank %d is out of range; the model has %d (worldSize)" $group.name $model.name (int $rank) (int $model.worldSize)) }}
{{- end }}
{{- $hosted = append $hosted (int $rank) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if ne $model.parallel "None" }}
{{- range $rank := until (int $model.worldSize) }}
{{- if not (has $rank $hosted) }}
{{- fail (printf "models[%s]: rank %d of %d is hosted by no silo group; the model could never answer" $model.name $rank (int $model.worldSize)) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $group := $groups }}
{{- range $group.models }}
{{- if not (has .name $modelNames) }}
{{- fail (printf "siloGroups[%s].models: %q is not one of models[].name (%s)" $group.name .name (join ", " $modelNames)) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (include "llama-orleans.usesRedis" .) (not .Values.connectionStrings.redis.existingSecret) (not .Values.redis.enabled) }}
{{- fail "connectionStrings.redis.existingSecret: Redis is chosen (orleans.clusteringMode or storage.provider) but neither an existing Secret nor the bundled Redis (redis.enabled) is given" }}
{{- end }}
{{- if and (include "llama-orleans.usesPostgreSql" .) (not .Values.connectionStrings.postgreSql.existingSecret) }}
{{- fail "connectionStrings.postgreSql.existingSecret: PostgreSql is chosen (orleans.clusteringMode or storage.provider); name the Secret holding its connection string" }}
{{- end }}
{{- if and .Values.http.requireApiKey (not .Values.http.apiKeys.keys) }}
{{- fail "http.apiKeys.keys: http.requireApiKey is true but no API key is listed, so every request would be refused" }}
{{- end }}
{{- if and .Values.http.apiKeys.keys (not .Values.http.apiKeys.existingSecret) }}
{{- fail "http.apiKeys.existingSecret: name the Secret holding the API keys' SHA-256 hashes" }}
{{- end }}
{{- if and (eq .Values.modelStorage.type "persistentVolumeClaim") (not .Values.modelStorage.claimName) }}
{{- fail "modelStorage.claimName: modelStorage.type is persistentVolumeClaim; name the claim holding the models" }}
{{- end }}
{{- if and (eq .Values.modelStorage.type "hostPath") (not .Values.modelStorage.hostPath) }}
{{- fail "modelStorage.hostPath: modelStorage.type is hostPath; give the directory on the nodes" }}
{{- end }}
{{- end }}

{{/*
The silo groups and models with defaults filled in, as {"items": [...]} (read with fromYaml): a values file that
sets siloGroups or models replaces the default lists whole, so entries may leave out what has a default.
*/}}
{{- define "llama-orleans.siloGroups" -}}
{{- $items := list }}
{{- range .Values.siloGroups }}
{{- $g := deepCopy . }}
{{- if not (hasKey $g "replicas") }}{{ $_ := set $g "replicas" 1 }}{{ end }}
{{- if not (hasKey $g "gpus") }}{{ $_ := set $g "gpus" 0 }}{{ end }}
{{- if not (hasKey $g "spreadAcrossNodes") }}{{ $_ := set $g "spreadAcrossNodes" true }}{{ end }}
{{- if not (hasKey $g "models") }}{{ $_ := set $g "models" list }}{{ end }}
{{- $autoscaling := merge (deepCopy (default (dict) $g.autoscaling)) (dict "enabled" false "minReplicas" 1 "targetCPUUtilizationPercentage" 80) }}
{{- $_ := set $g "autoscaling" $autoscaling }}
{{- $items = append $items $g }}
{{- end }}
{{- toYaml (dict "items" $items) }}
{{- end }}

{{- define "llama-orleans.models" -}}
{{- $items := list }}
{{- range .Values.models }}
{{- $m := deepCopy . }}
{{- if not $m.device }}{{ $_ := set $m "device" "cpu" }}{{ end }}
{{- if not $m.parallel }}{{ $_ := set $m "parallel" "None" }}{{ end }}
{{- $items = append $items $m }}
{{- end }}
{{- toYaml (dict "items" $items) }}
{{- end }}
