package admin

import "tokenportal/workflow"

// fieldError is a field error raised by a handler with a message from the
// catalogs (id and its arguments), shown like the service's.
func fieldError(field, id string, args ...any) error {
	return workflow.FieldsInvalid(map[string]workflow.Msg{field: workflow.M(id, args...)})
}
