package notify

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	tparse "text/template/parse"
	"time"
)

// A template text comes from the settings, so its rendering is bounded
// (issue #11): without loops, nested templates and printf widths every
// action runs at most once, each function's result and the whole output are
// capped, and a render that takes too long stops.
const (
	// MaxRendered is the most a subject, body or SMS text may render to.
	MaxRendered = 64 << 10
	// MaxRenderTime is the longest one text may take to render.
	MaxRenderTime = time.Second
)

// Errors of a text that breaks the bounds; the settings page shows them.
var (
	ErrTooLarge = fmt.Errorf("it renders to more than %d KiB; shorten the text", MaxRendered>>10)
	ErrTooSlow  = fmt.Errorf("it takes longer than %s to render; simplify the text", MaxRenderTime)
)

// refusedFuncs are text/template built-ins a mail template has no use for
// and that could make its output grow without bound (printf widths) or call
// anything.
var refusedFuncs = map[string]bool{"printf": true, "println": true, "call": true}

// checkTree refuses the constructs that let a short text run or grow
// without bound: loops, template definitions and calls, and refusedFuncs.
func checkTree(t *template.Template) error {
	if len(t.Templates()) > 1 {
		return errors.New("{{define}} and {{block}} are not allowed in mail templates")
	}
	if t.Tree == nil {
		return nil
	}
	return checkNode(t.Tree.Root)
}

func checkNode(n tparse.Node) error {
	switch n := n.(type) {
	case *tparse.ListNode:
		if n != nil {
			return checkAll(n.Nodes...)
		}
	case *tparse.RangeNode:
		return errors.New("{{range}} loops are not allowed in mail templates")
	case *tparse.TemplateNode:
		return errors.New("{{template}} calls are not allowed in mail templates")
	case *tparse.IfNode:
		return checkAll[tparse.Node](n.Pipe, n.List, n.ElseList)
	case *tparse.WithNode:
		return checkAll[tparse.Node](n.Pipe, n.List, n.ElseList)
	case *tparse.ActionNode:
		return checkNode(n.Pipe)
	case *tparse.PipeNode:
		if n != nil {
			return checkAll(n.Cmds...)
		}
	case *tparse.CommandNode:
		return checkAll(n.Args...)
	case *tparse.IdentifierNode:
		if refusedFuncs[n.Ident] {
			return fmt.Errorf("the function %s is not allowed in mail templates", n.Ident)
		}
	case *tparse.ChainNode:
		return checkNode(n.Node)
	}
	return nil
}

func checkAll[N tparse.Node](nodes ...N) error {
	for _, n := range nodes {
		if err := checkNode(n); err != nil {
			return err
		}
	}
	return nil
}

// guard bounds one execution: its deadline and the output written so far.
type guard struct {
	deadline time.Time
	now      func() time.Time
	out      strings.Builder
}

func newGuard() *guard {
	return &guard{now: time.Now, deadline: time.Now().Add(MaxRenderTime)}
}

// check fails once the deadline passed or a result is too large.
func (g *guard) check(size int) error {
	if size > MaxRendered {
		return ErrTooLarge
	}
	if g.now().After(g.deadline) {
		return ErrTooSlow
	}
	return nil
}

// Write stops the execution once the output would pass MaxRendered.
func (g *guard) Write(p []byte) (int, error) {
	if err := g.check(g.out.Len() + len(p)); err != nil {
		return 0, err
	}
	return g.out.Write(p)
}

// funcs are the built-ins that can make text grow, each result checked.
func (g *guard) funcs() template.FuncMap {
	capped := func(f func(...any) string) func(...any) (string, error) {
		return func(args ...any) (string, error) {
			if err := g.check(0); err != nil {
				return "", err
			}
			s := f(args...)
			return s, g.check(len(s))
		}
	}
	return template.FuncMap{
		"print":    capped(fmt.Sprint),
		"html":     capped(template.HTMLEscaper),
		"js":       capped(template.JSEscaper),
		"urlquery": capped(template.URLQueryEscaper),
	}
}

// run executes t with data under a new guard.
func run(t *template.Template, data map[string]string) (string, error) {
	g := newGuard()
	if err := t.Funcs(g.funcs()).Execute(g, data); err != nil {
		for _, bound := range []error{ErrTooLarge, ErrTooSlow} {
			if errors.Is(err, bound) {
				return "", bound
			}
		}
		return "", err
	}
	return g.out.String(), nil
}
