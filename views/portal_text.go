package views

import (
	"context"
	"html"
	"io"
	"strings"

	"github.com/a-h/templ"

	"tokenportal/views/i18n"
)

// emphMarker stands for the emphasised value while a message is escaped.
const emphMarker = "\x00emph\x00"

// emph is message id with the value of placeholder key in <strong>: the
// sentence stays one message, whatever the word order of the language, and
// both the message and the value are escaped.
func emph(id, key, value string, args ...any) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		s := html.EscapeString(i18n.T(ctx, id, append([]any{key, emphMarker}, args...)...))
		s = strings.Replace(s, html.EscapeString(emphMarker), "<strong>"+html.EscapeString(value)+"</strong>", 1)
		_, err := io.WriteString(w, s)
		return err
	})
}
