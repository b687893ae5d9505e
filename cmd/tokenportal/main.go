// Command tokenportal runs the self-service portal for OTP tokens: the admin
// console, the per-resource portals and the API, on PostgreSQL.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"tokenportal/cmd/tokenportal/app"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

const usage = `tokenportal — self-service portal for one-time-password tokens

Usage:
  tokenportal serve   [flags]   run the web service, and RADIUS when RADIUS_LISTEN_ADDR is
                                set, metrics when METRICS_LISTEN_ADDR is set (migrates the
                                database first)
  tokenportal migrate [flags]   apply database migrations and exit
  tokenportal dev     [flags]   run locally: private PostgreSQL under ./var, demo data,
                                mail captured, RADIUS on 127.0.0.1:1812; prints the URLs
                                and credentials
  tokenportal admin create --login L --role superadmin|helpdesk|owner [--email E]
                                create an admin account; the password is read from
                                stdin, or generated and printed once
  tokenportal apikey create --name N --role superadmin|helpdesk|owner|validate [--resource ID]
                                create an API key and print it (only the key, on stdout)

Every command takes configuration flags; each defaults to an environment
variable (DATABASE_URL, SECRET_KEY, ...); 'tokenportal serve -h' lists them.
Without DATABASE_URL, dev, admin and apikey use the private database of dev mode.
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tokenportal:", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

var errUsage = errors.New("usage")

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stderr)
	case "migrate":
		return migrate(ctx, rest, stderr)
	case "dev":
		return dev(ctx, rest, stdout, stderr)
	case "admin":
		if len(rest) == 0 || rest[0] != "create" {
			fmt.Fprint(stderr, usage)
			return errUsage
		}
		return adminCreate(ctx, rest[1:], stdin, stdout, stderr)
	case "apikey":
		if len(rest) == 0 || rest[0] != "create" {
			fmt.Fprint(stderr, usage)
			return errUsage
		}
		return apikeyCreate(ctx, rest[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}

// command is one subcommand's flags plus the configuration flags.
type command struct {
	fs    *flag.FlagSet
	check func() (app.Config, error)
}

func newCommand(name, synopsis string, stderr io.Writer, getenv func(string) string) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tokenportal %s\n\nFlags (each defaults to the environment variable named):\n", synopsis)
		fs.PrintDefaults()
	}
	return &command{fs: fs, check: app.FlagSet(fs, getenv)}
}

func newLogger(w io.Writer, level slog.Level, text bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if text {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	c := newCommand("serve", "serve [flags]", stderr, os.Getenv)
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := c.check()
	if err != nil {
		return err
	}
	return withApp(ctx, cfg, newLogger(stderr, cfg.LogLevel, false), func(a *app.App) error { return a.Serve(ctx) })
}

// withApp opens the pool, migrates, wires the application and runs fn.
func withApp(ctx context.Context, cfg app.Config, log *slog.Logger, fn func(*app.App) error) error {
	pool, err := app.OpenPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := app.Migrate(ctx, pool, log); err != nil {
		return err
	}
	a, err := app.New(cfg, pool, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func migrate(ctx context.Context, args []string, stderr io.Writer) error {
	c := newCommand("migrate", "migrate [flags]", stderr, os.Getenv)
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := c.check()
	if err != nil {
		return err
	}
	pool, err := app.OpenPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	return app.Migrate(ctx, pool, newLogger(stderr, min(cfg.LogLevel, slog.LevelInfo), true))
}

func dev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	d := &app.Dev{Root: ".", Stdout: stdout}
	c := newCommand("dev", "dev [flags]", stderr, d.Getenv(os.Getenv))
	c.fs.BoolVar(&d.TestDatabase, "test-database", false,
		"print a PostgreSQL URL the tests can use (TEST_DATABASE_URL, else the server on 127.0.0.1:5432, else the private cluster) and exit")
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	if d.TestDatabase {
		url, err := d.TestDatabaseURL(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, url)
		return nil
	}
	if err := d.Prepare(ctx); err != nil {
		return err
	}
	defer d.Cleanup()
	cfg, err := c.check()
	if err != nil {
		return err
	}
	cfg.Dev = true
	return withApp(ctx, cfg, newLogger(stderr, cfg.LogLevel, true), func(a *app.App) error {
		if err := d.Seed(ctx, a); err != nil {
			return err
		}
		return a.Serve(ctx)
	})
}

// toolCommand is the configuration of the admin and apikey commands: the
// environment, or the private database of dev mode when DATABASE_URL is unset.
func toolCommand(name, synopsis string, stderr io.Writer) (*command, *app.Dev) {
	d := &app.Dev{Root: ".", Stdout: stderr, Quiet: true}
	return newCommand(name, synopsis, stderr, d.Getenv(os.Getenv)), d
}

func withService(ctx context.Context, c *command, d *app.Dev, stderr io.Writer, fn func(*workflow.Service) error) error {
	if err := d.Prepare(ctx); err != nil {
		return err
	}
	defer d.Cleanup()
	cfg, err := c.check()
	if err != nil {
		return err
	}
	return withApp(ctx, cfg, newLogger(stderr, max(cfg.LogLevel, slog.LevelWarn), true), func(a *app.App) error { return fn(a.Service) })
}

func adminCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, d := toolCommand("admin create", "admin create --login L --role superadmin|helpdesk|owner [--email E] [flags]", stderr)
	login := c.fs.String("login", "", "login of the new admin (required)")
	role := c.fs.String("role", "", "superadmin, helpdesk or owner (required)")
	email := c.fs.String("email", "", "mail address for notifications (optional)")
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	if *login == "" || *role == "" {
		c.fs.Usage()
		return fmt.Errorf("%w: --login and --role are required", errUsage)
	}
	password, generated, err := readPassword(stdin)
	if err != nil {
		return err
	}
	return withService(ctx, c, d, stderr, func(svc *workflow.Service) error {
		a, err := svc.CreateAdmin(ctx, workflow.NewAdmin{Login: *login, Email: *email, Role: workflow.Role(*role), Password: password},
			workflow.SystemActor, workflow.Meta{})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stderr, "Created %s %s (id %d). It sets up TOTP at its first sign-in.\n", a.Role, a.Login, a.ID)
		if generated {
			fmt.Fprintf(stderr, "Its password, shown only now:\n")
			fmt.Fprintln(stdout, password)
		}
		return nil
	})
}

// readPassword takes the first line of stdin as the password; when stdin is
// a terminal or empty, it generates one.
func readPassword(stdin io.Reader) (string, bool, error) {
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return workflow.GeneratePassword(), true, nil
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return workflow.GeneratePassword(), true, nil
	}
	return line, false, nil
}

func apikeyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, d := toolCommand("apikey create", "apikey create --name N --role superadmin|helpdesk|owner|validate [--resource ID] [flags]", stderr)
	name := c.fs.String("name", "", "what the key is for (required)")
	role := c.fs.String("role", "", "superadmin, helpdesk, owner or validate (required)")
	resource := c.fs.String("resource", "", "id of the resource the key is limited to (required for owner)")
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	if *name == "" || *role == "" {
		c.fs.Usage()
		return fmt.Errorf("%w: --name and --role are required", errUsage)
	}
	n := workflow.NewAPIKey{Name: *name, Role: workflow.Role(*role)}
	if *resource != "" {
		id, err := strconv.ParseInt(*resource, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%w: --resource must be the numeric id of a resource", errUsage)
		}
		n.ResourceID = &id
	}
	return withService(ctx, c, d, stderr, func(svc *workflow.Service) error {
		key, k, err := svc.CreateAPIKey(ctx, n, workflow.SystemActor, workflow.Meta{})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stderr, "Created API key %q (%s); it is shown only now.\n", k.Name, k.Role)
		fmt.Fprintln(stdout, key)
		return nil
	})
}

// describe turns a workflow error into text for the terminal, field by field.
func describe(err error) error {
	if workflow.IsFault(err) {
		return err
	}
	fields := i18n.Fields(i18n.Source, workflow.ErrorFieldMsgs(err))
	message := i18n.English(workflow.ErrorMsg(err))
	if len(fields) == 0 {
		return errors.New(message)
	}
	var b strings.Builder
	b.WriteString(message)
	for k, v := range fields {
		fmt.Fprintf(&b, "\n  %s: %s", k, v)
	}
	return errors.New(b.String())
}
