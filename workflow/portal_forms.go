package workflow

// The inputs of the portal's forms (SPEC §5, §6): the handler fills one
// from the request, by the form's input names, and passes it whole.

// TokenCodeInput is a token and a code of it: register-existing-token
// (`serial`, `otp`) and remove-pin (`serial`, `otp` with the PIN).
type TokenCodeInput struct {
	Serial string
	OTP    string
}

// SyncInput is sync-token: `serial`, `otp1`, `otp2`.
type SyncInput struct {
	Serial     string
	OTP1, OTP2 string
}

// PINInput is set-pin: `serial`, `pin`, `pin_position`, `otp` (a current
// code of the token, without the new PIN).
type PINInput struct {
	Serial   string
	PIN      string
	Position string // before, after
	OTP      string
}

// PasswordChangeInput is change-password: `password` (current) and
// `new_password`.
type PasswordChangeInput struct {
	Current string
	New     string
}

// NameInput is change-name: `first_name`, `last_name`.
type NameInput struct {
	First string
	Last  string
}

// RestoreProofs are the proofs of a restore-access request: `password`,
// `email_code`, `otp`.
type RestoreProofs struct {
	Password  string
	EmailCode string
	OTP       string
	// Key is the browser's answer to Ceremony, the "Use your security key"
	// proof of the token (SPEC §14).
	Key      []byte
	Ceremony *Ceremony
}

// RestoreChoice is what a restore-access request asks for: `new_password`
// and `new_email`.
type RestoreChoice struct {
	Password string
	Email    string
}
