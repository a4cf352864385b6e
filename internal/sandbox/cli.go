package sandbox

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// tokenFlags collects repeated --token values: "TOKEN" (all scopes) or
// "TOKEN=scope1,scope2".
type tokenFlags []Token

func (t *tokenFlags) String() string { return fmt.Sprint(len(*t)) }

func (t *tokenFlags) Set(v string) error {
	name, scopes, hasScopes := strings.Cut(v, "=")
	if name == "" {
		return errors.New("empty token")
	}
	tok := Token{Token: name, Scopes: AllScopes()}
	if hasScopes {
		tok.Scopes = nil
		for _, sc := range strings.Split(scopes, ",") {
			if sc = strings.TrimSpace(sc); sc != "" {
				tok.Scopes = append(tok.Scopes, sc)
			}
		}
	}
	*t = append(*t, tok)
	return nil
}

// DefaultAddr is where the standalone sandbox listens unless told otherwise, and where the
// server's demo mode starts its embedded one.
const DefaultAddr = "127.0.0.1:8089"

// RunCLI is the standalone sandbox ("go run ./server sandbox"): one seeded account,
// the given tokens (or a generated one with every scope), served on --listen until ctx
// is cancelled, then shut down gracefully.
func RunCLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", DefaultAddr, "address to listen on")
	var tokens tokenFlags
	fs.Var(&tokens, "token", "register `TOKEN` with every scope, or TOKEN=scope1,scope2 with only those (repeatable)")
	limit := fs.Int("limit", 0, "requests per window per app (default: HubSpot's, 190 on the Professional tier)")
	window := fs.Duration("window", 0, "rolling window length (default 10s)")
	daily := fs.Int("daily", 0, "daily request budget per account (default: HubSpot's for the tier)")
	tier := fs.String("tier", string(TierProfessional), "account tier: FREE, STARTER, PROFESSIONAL or ENTERPRISE")
	timeZone := fs.String("timezone", "America/New_York", "account time zone (the daily budget resets at its midnight)")
	seed := fs.Uint64("seed", 1, "seed for random choices (faults, result order, generated ids)")
	searchLag := fs.Duration("search-lag", DefaultSearchLag, "how long a write takes to reach search, as on HubSpot (0: at once)")
	noSeedData := fs.Bool("empty", false, "start with no sample records")
	allowRemoteAdmin := fs.Bool("allow-remote-admin", false, "allow --listen beyond loopback, where other hosts can reach the unauthenticated /_sandbox admin API and read its tokens")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}

	if *searchLag < 0 {
		return fmt.Errorf("--search-lag must not be negative, got %v", *searchLag)
	}
	if *searchLag == 0 {
		*searchLag = NoSearchLag
	}
	s := New(Options{Seed: *seed, Limits: Limits{PerWindow: *limit, Window: *window, Daily: *daily}, SearchLag: *searchLag})
	defer s.Close() // stops the webhook sender
	acct, err := s.CreateAccount(Account{Tier: Tier(strings.ToUpper(*tier)), TimeZone: *timeZone})
	if err != nil {
		return err
	}
	if !*noSeedData {
		if _, err := s.SeedSampleData(acct.HubID); err != nil {
			return err
		}
	}
	if len(tokens) == 0 {
		tokens = tokenFlags{{Scopes: AllScopes()}}
	}
	var created []Token
	for _, t := range tokens {
		t.HubID = acct.HubID
		ct, err := s.CreateToken(t)
		if err != nil {
			return err
		}
		created = append(created, ct)
	}

	ln, err := Listen(*listen, *allowRemoteAdmin) // bind first, so the printed URL is live
	if err != nil {
		return fmt.Errorf("%w (--allow-remote-admin)", err)
	}
	baseURL := "http://" + ln.Addr().String()
	printBanner(stdout, baseURL, acct, created)

	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "HubSpot sandbox stopped.")
	return nil
}

func printBanner(w io.Writer, baseURL string, acct Account, tokens []Token) {
	fmt.Fprintf(w, "HubSpot sandbox listening on %s\n", baseURL)
	fmt.Fprintf(w, "account: hub id %d, tier %s, time zone %s\n", acct.HubID, acct.Tier, acct.TimeZone)
	for _, t := range tokens {
		scopes := strings.Join(t.Scopes, ",")
		if strings.Join(AllScopes(), ",") == scopes {
			scopes = "all scopes"
		}
		fmt.Fprintf(w, "token:   %s  (app %d; %s)\n", t.Token, t.AppID, scopes)
	}
	fmt.Fprintf(w, "admin:   %s/_sandbox/counters\n\n", baseURL)
	fmt.Fprintf(w, "export HUBSPOT_BASE_URL=%s\n", baseURL)
	fmt.Fprintf(w, "export HUBSPOT_TOKEN=%s\n", tokens[0].Token)
}
