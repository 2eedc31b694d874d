{{/*
The silo's configuration as LLAMA_-prefixed environment variables (docs/silo.md): Kubernetes hosting, the
cluster, clustering and storage with their connection strings from Secrets, the HTTP API and its key hashes
from a Secret, and the models with what this group hosts. Called with (dict "root" $ "group" $group).
*/}}
{{- define "llama-orleans.siloEnv" -}}
{{- $root := .root }}
{{- $group := .group }}
{{- $values := $root.Values }}
# Orleans' Kubernetes hosting reads the pod's identity from these.
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: ORLEANS_SERVICE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.labels['orleans/serviceId']
- name: ORLEANS_CLUSTER_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.labels['orleans/clusterId']
- name: LLAMA_Orleans__Kubernetes
  value: "true"
- name: LLAMA_Orleans__ServiceId
  value: {{ $values.orleans.serviceId | quote }}
- name: LLAMA_Orleans__ClusterId
  value: {{ include "llama-orleans.clusterId" $root | quote }}
- name: LLAMA_Orleans__SiloPort
  value: {{ $values.orleans.siloPort | quote }}
- name: LLAMA_Orleans__GatewayPort
  value: {{ $values.orleans.gatewayPort | quote }}
- name: LLAMA_Orleans__ClusteringMode
  value: {{ $values.orleans.clusteringMode | quote }}
- name: LLAMA_Orleans__ShutdownTimeout
  value: {{ include "llama-orleans.timespan" $values.orleans.shutdownTimeoutSeconds | quote }}
- name: LLAMA_Storage__Provider
  value: {{ $values.storage.provider | quote }}
{{- if and $values.storage.createPostgreSqlSchema (include "llama-orleans.usesPostgreSql" $root) }}
- name: LLAMA_Storage__CreatePostgreSqlSchema
  value: "true"
{{- end }}
{{- if include "llama-orleans.usesRedis" $root }}
{{- if $values.connectionStrings.redis.existingSecret }}
- name: LLAMA_ConnectionStrings__Redis
  valueFrom:
    secretKeyRef:
      name: {{ $values.connectionStrings.redis.existingSecret | quote }}
      key: {{ $values.connectionStrings.redis.key | quote }}
{{- else if $values.redis.auth.existingSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $values.redis.auth.existingSecret | quote }}
      key: {{ $values.redis.auth.key | quote }}
# Kubernetes expands $(REDIS_PASSWORD) from the variable above, so the password never appears in the manifest.
- name: LLAMA_ConnectionStrings__Redis
  value: {{ printf "%s:6379,password=$(REDIS_PASSWORD)" (include "llama-orleans.redisName" $root) | quote }}
{{- else }}
- name: LLAMA_ConnectionStrings__Redis
  value: {{ printf "%s:6379" (include "llama-orleans.redisName" $root) | quote }}
{{- end }}
{{- end }}
{{- if include "llama-orleans.usesPostgreSql" $root }}
- name: LLAMA_ConnectionStrings__PostgreSql
  valueFrom:
    secretKeyRef:
      name: {{ $values.connectionStrings.postgreSql.existingSecret | quote }}
      key: {{ $values.connectionStrings.postgreSql.key | quote }}
{{- end }}
- name: LLAMA_Http__Enabled
  value: "true"
- name: LLAMA_Http__Urls
  value: {{ printf "http://0.0.0.0:%d" (int $values.http.port) | quote }}
- name: LLAMA_Http__RequireApiKey
  value: {{ $values.http.requireApiKey | quote }}
# /metrics names tenants: it gets a listener of its own, reached by the scraper through the headless Service only;
# the public Service's HTTP port answers it with 404.
- name: LLAMA_Http__Metrics__Urls
  value: {{ printf "http://0.0.0.0:%d" (int $values.http.metricsPort) | quote }}
{{- range $i, $key := $values.http.apiKeys.keys }}
- name: LLAMA_Http__ApiKeys__{{ $i }}__Tenant
  value: {{ $key.tenant | quote }}
- name: LLAMA_Http__ApiKeys__{{ $i }}__Name
  value: {{ $key.name | quote }}
- name: LLAMA_Http__ApiKeys__{{ $i }}__Sha256
  valueFrom:
    secretKeyRef:
      name: {{ $values.http.apiKeys.existingSecret | quote }}
      key: {{ $key.secretKey | quote }}
{{- if not (kindIs "invalid" $key.requestsPerMinute) }}
- name: LLAMA_Http__ApiKeys__{{ $i }}__RequestsPerMinute
  value: {{ $key.requestsPerMinute | int64 | quote }}
{{- end }}
{{- if not (kindIs "invalid" $key.maxConcurrentStreams) }}
- name: LLAMA_Http__ApiKeys__{{ $i }}__MaxConcurrentStreams
  value: {{ $key.maxConcurrentStreams | int64 | quote }}
{{- end }}
{{- end }}
{{- with $values.http.maxRequestBodyBytes }}
- name: LLAMA_Http__MaxRequestBodyBytes
  value: {{ . | int64 | quote }}
{{- end }}
{{- if not (kindIs "invalid" $values.http.rateLimits.requestsPerMinute) }}
- name: LLAMA_Http__RateLimits__RequestsPerMinute
  value: {{ $values.http.rateLimits.requestsPerMinute | int64 | quote }}
{{- end }}
{{- if not (kindIs "invalid" $values.http.rateLimits.maxConcurrentStreams) }}
- name: LLAMA_Http__RateLimits__MaxConcurrentStreams
  value: {{ $values.http.rateLimits.maxConcurrentStreams | int64 | quote }}
{{- end }}
{{- range $tenant, $quota := $values.http.quotas }}
- name: LLAMA_Http__Quotas__{{ $tenant }}__DailyTokens
  value: {{ $quota.dailyTokens | int64 | quote }}
{{- end }}
{{- range $i, $model := (include "llama-orleans.models" $root | fromYaml).items }}
{{- $hosting := dict }}
{{- range $group.models }}
{{- if eq .name $model.name }}
{{- $hosting = . }}
{{- end }}
{{- end }}
- name: LLAMA_Llama__Models__{{ $i }}__Name
  value: {{ $model.name | quote }}
- name: LLAMA_Llama__Models__{{ $i }}__Path
  value: {{ $model.path | quote }}
- name: LLAMA_Llama__Models__{{ $i }}__Tokenizer
  value: {{ $model.tokenizer | quote }}
- name: LLAMA_Llama__Models__{{ $i }}__Host
  value: {{ ternary "true" "false" (not (empty $hosting)) | quote }}
- name: LLAMA_Llama__Models__{{ $i }}__Device
  value: {{ $model.device | quote }}
{{- with $model.dtype }}
- name: LLAMA_Llama__Models__{{ $i }}__DType
  value: {{ . | quote }}
{{- end }}
{{- with $model.maxSeqLen }}
- name: LLAMA_Llama__Models__{{ $i }}__MaxSeqLen
  value: {{ . | int | quote }}
{{- end }}
- name: LLAMA_Llama__Models__{{ $i }}__Parallel
  value: {{ $model.parallel | quote }}
{{- if eq $model.parallel "Pipeline" }}
- name: LLAMA_Llama__Models__{{ $i }}__Stages
  value: {{ $model.worldSize | int | quote }}
{{- end }}
{{- range $r, $rank := $hosting.ranks }}
- name: LLAMA_Llama__Models__{{ $i }}__Ranks__{{ $r }}
  value: {{ $rank | int | quote }}
{{- end }}
{{- range $key, $value := $model.settings }}
- name: LLAMA_Llama__Models__{{ $i }}__{{ $key }}
  {{- /* YAML numbers arrive as floats: write whole ones as integers, not in exponent form. */}}
  value: {{ ternary ($value | int64 | toString) ($value | toString) (and (kindIs "float64" $value) (eq (float64 (int64 $value)) $value)) | quote }}
{{- end }}
{{- end }}
{{- with $values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with $group.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
