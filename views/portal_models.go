package views

import "tokenportal/workflow"

// PortalChrome is what every portal page shows around its content.
type PortalChrome struct {
	Resource string
	Alias    string
	Title    string
	Lang     string
	Login    string // the signed-in user, empty before sign-in
	Flash    string
}

// Href is a path inside the portal.
func (c PortalChrome) Href(path string) string { return "/selfservice/" + c.Alias + path }

// Login is the sign-in page's data: which step, and what to say.
type Login struct {
	Step         string // a workflow.LoginStep
	Login        string // as typed, shown on the later steps
	CodeSentTo   string
	Remember     bool // offer "remember this device"
	RememberDays int
	Form         Form
}

// Home is the start page of a signed-in user.
type Home struct {
	User    workflow.User
	Tokens  []workflow.Token
	Actions []string
}

// StepUp is the page that asks for a second factor before a token action.
type StepUp struct {
	Next       string
	CodeSentTo string // masked, when the user's token sends its codes
	Form       Form
}

// Reauth asks a signed-in user to confirm who they are again.
type Reauth struct {
	Next     string
	Password bool // ask for the password (else the OTP)
	// CodeSentTo, when set, is where the emailed code went: the user has
	// neither password nor token, so email_code is asked.
	CodeSentTo string
	Form       Form
}

// Restore is the restore-access page's data.
type Restore struct {
	Step  string // "" (login and what is lost), prove, new, done
	Login string
	Lost  []string
	Form  Form
}

// LostItem reports whether item was declared lost.
func (r Restore) LostItem(item string) bool {
	for _, l := range r.Lost {
		if l == item {
			return true
		}
	}
	return false
}

// Checked is the state of a "what is lost" checkbox.
func (f Form) Checked(name string) bool { return f.Values[name] == "1" }
