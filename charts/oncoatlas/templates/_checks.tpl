{{/*
Checks that values.schema.json cannot express, run by every helm install,
upgrade and template (templates/checks.yaml); each failure names the value
and the fix, as the operator's flag checks would at start-up.
*/}}

{{/* oncoatlas.milliseconds: a duration the schema accepted (whole numbers
in h, m, s, ms, e.g. 1h30m) in milliseconds. */}}
{{- define "oncoatlas.milliseconds" -}}
{{- $total := 0 -}}
{{- $factors := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 -}}
{{- range regexFindAll "[0-9]+(ms|s|m|h)" . -1 -}}
{{- $number := regexFind "^[0-9]+" . -}}
{{- $total = add $total (mul (atoi $number) (get $factors (trimPrefix $number .))) -}}
{{- end -}}
{{- $total -}}
{{- end -}}

{{/* oncoatlas.checkRange: (list name value minimum maximum example). */}}
{{- define "oncoatlas.checkRange" -}}
{{- $name := index . 0 }}{{ $value := index . 1 }}{{ $min := index . 2 }}{{ $max := index . 3 }}
{{- $ms := include "oncoatlas.milliseconds" $value | atoi -}}
{{- if or (lt $ms (include "oncoatlas.milliseconds" $min | atoi)) (gt $ms (include "oncoatlas.milliseconds" $max | atoi)) -}}
{{- fail (printf "%s is %s: give a duration from %s to %s, e.g. %s" $name $value $min $max (index . 4)) -}}
{{- end -}}
{{- end -}}

{{- define "oncoatlas.checks" -}}
{{- $le := .Values.operator.leaderElection -}}
{{- $lease := include "oncoatlas.milliseconds" $le.leaseDuration | atoi -}}
{{- $renew := include "oncoatlas.milliseconds" $le.renewDeadline | atoi -}}
{{- $retry := include "oncoatlas.milliseconds" $le.retryPeriod | atoi -}}
{{- if not (and (gt $lease $renew) (gt $renew $retry) (gt $retry 0)) -}}
{{- fail (printf "operator.leaderElection.leaseDuration (%s) must be longer than renewDeadline (%s), which must be longer than retryPeriod (%s), which must be positive; e.g. 15s, 10s, 2s" $le.leaseDuration $le.renewDeadline $le.retryPeriod) -}}
{{- end -}}
{{- $a := .Values.agent -}}
{{- /* The API server refuses TokenRequests shorter than 10 minutes. */ -}}
{{- include "oncoatlas.checkRange" (list "agent.tokenLifetime" $a.tokenLifetime "10m" "2160h" "1h") -}}
{{- include "oncoatlas.checkRange" (list "agent.siteResyncPeriod" $a.siteResyncPeriod "10s" "24h" "5m") -}}
{{- include "oncoatlas.checkRange" (list "agent.leaseDuration" $a.leaseDuration "2s" "1h" "40s") -}}
{{- include "oncoatlas.checkRange" (list "agent.renewInterval" $a.renewInterval "1s" "1h" "10s") -}}
{{- include "oncoatlas.checkRange" (list "agent.pacsCheckInterval" $a.pacsCheckInterval "1s" "24h" "30s") -}}
{{- if ge (include "oncoatlas.milliseconds" $a.renewInterval | atoi) (include "oncoatlas.milliseconds" $a.leaseDuration | atoi) -}}
{{- fail (printf "agent.renewInterval (%s) must be shorter than agent.leaseDuration (%s); e.g. 10s and 40s" $a.renewInterval $a.leaseDuration) -}}
{{- end -}}
{{- /*
The CRDs: helm installs crds/ before the templates unless --skip-crds. The
check runs only against a cluster: rendering offline (helm template, helm
lint) cannot see one, and `lookup` then finds nothing, not even kube-system.
*/ -}}
{{- if lookup "v1" "Namespace" "" "kube-system" -}}
{{- $missing := list -}}
{{- range list "DataNode" "Dataset" "AccessGrant" "BenchmarkRun" "AccessPolicy" -}}
{{- if not ($.Capabilities.APIVersions.Has (printf "oncoatlas.io/v1alpha1/%s" .)) -}}
{{- $missing = append $missing . -}}
{{- end -}}
{{- end -}}
{{- if $missing -}}
{{- fail (printf "this cluster does not serve the OncoAtlas CRDs (oncoatlas.io/v1alpha1 %s). Install them with the chart (helm install without --skip-crds) or with `kubectl apply --server-side -f charts/oncoatlas/crds/` (the same files as crds/ of the repository), wait until they are Established (`kubectl wait --for=condition=Established -f charts/oncoatlas/crds/`), then run helm again" (join ", " $missing)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
