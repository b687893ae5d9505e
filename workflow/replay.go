package workflow

// ErrCodeReplayed answers the right code of a step (or counter) that was
// used already, at the sign-in's OTP step: the replay protection refuses it
// (SPEC §8) as always, but the person proved the first factor and typed a
// code that was right a moment ago, so they are told to wait for the next
// one and stay on the step rather than start over.
var ErrCodeReplayed = FieldsInvalid(map[string]Msg{"otp": M("otp.already_used")})
