package v1beta1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateNoData checks a metric's no-data policy and minimum-traffic guard.
func validateNoData(m *CanaryMetric, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.MinRequests < 0 {
		errs = append(errs, field.Invalid(path.Child("minRequests"), m.MinRequests, "must not be negative"))
	}
	if m.MinRequests > 0 && !m.IsBuiltin() {
		errs = append(errs, field.Forbidden(path.Child("minRequests"),
			fmt.Sprintf("only the built-in metrics (%s, %s) count the canary's requests; metric %q has a query or templateRef",
				BuiltinRequestSuccessRate, BuiltinRequestDuration, m.Name)))
	}
	nd := m.NoData
	if nd == nil {
		return errs
	}
	switch nd.Policy {
	case "", NoDataFail, NoDataSkip, NoDataPass:
	default:
		errs = append(errs, field.NotSupported(path.Child("noData", "policy"), string(nd.Policy),
			[]string{string(NoDataFail), string(NoDataSkip), string(NoDataPass)}))
	}
	switch {
	case nd.Limit < 0:
		errs = append(errs, field.Invalid(path.Child("noData", "limit"), nd.Limit, "must not be negative"))
	case nd.Limit > 0 && nd.Policy != NoDataSkip:
		errs = append(errs, field.Invalid(path.Child("noData", "limit"), nd.Limit, "is only used with policy Skip"))
	}
	return errs
}

// validateQueryErrors checks the analysis's query-error policy.
func validateQueryErrors(q *CanaryQueryErrors, path *field.Path) field.ErrorList {
	if q == nil {
		return nil
	}
	var errs field.ErrorList
	switch q.Policy {
	case "", QueryErrorFail, QueryErrorHold:
	default:
		errs = append(errs, field.NotSupported(path.Child("policy"), string(q.Policy),
			[]string{string(QueryErrorFail), string(QueryErrorHold)}))
	}
	errs = append(errs, validateDuration(q.MaxHold, path.Child("maxHold"))...)
	if q.MaxHold != "" && q.Policy != QueryErrorHold {
		errs = append(errs, field.Invalid(path.Child("maxHold"), q.MaxHold, "is only used with policy Hold"))
	}
	return errs
}
