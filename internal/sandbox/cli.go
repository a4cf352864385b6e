package sandbox

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// tokenFlags collects repeated --token values, "TOKEN" (all scopes) or
// "TOKEN=scope1,scope2", each of the kind and introspection that --token-kind and
// --introspect last set before it (a private app's, introspected, until they are given).
type tokenFlags struct {
	kind       TokenKind
	introspect bool
	tokens     []Token
}

// cliTokenKinds are --token-kind's values.
var cliTokenKinds = map[string]TokenKind{"private-app": KindPrivateApp, "service-key": KindServiceKey, "static": KindStaticAppToken}

func (t *tokenFlags) setKind(v string) error {
	k, ok := cliTokenKinds[v]
	if !ok {
		return fmt.Errorf("%q is not a token kind: give private-app, service-key or static", v)
	}
	t.kind = k
	return nil
}

func (t *tokenFlags) setIntrospect(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q is not true or false", v)
	}
	t.introspect = b
	return nil
}

func (t *tokenFlags) add(v string) error {
	name, scopes, hasScopes := strings.Cut(v, "=")
	if name == "" {
		return errors.New("empty token")
	}
	tok, err := t.token(name)
	if err != nil {
		return err
	}
	if hasScopes {
		tok.Scopes = nil
		for _, sc := range strings.Split(scopes, ",") {
			if sc = strings.TrimSpace(sc); sc != "" {
				tok.Scopes = append(tok.Scopes, sc)
			}
		}
	}
	t.tokens = append(t.tokens, tok)
	return nil
}

// token is a token named name (empty: generated in the kind's shape) with every scope, of the
// kind and introspection set so far. HubSpot always introspects a private app's token, so
// --introspect=false is refused for one rather than ignored.
func (t *tokenFlags) token(name string) (Token, error) {
	if t.kind == KindPrivateApp && !t.introspect {
		return Token{}, errors.New("--introspect=false applies to --token-kind service-key or static: HubSpot always introspects a private app's token")
	}
	return Token{Token: name, Kind: t.kind, Introspect: t.introspect, Scopes: AllScopes()}, nil
}

// DefaultAddr is where the standalone sandbox listens unless told otherwise, and where the
// server's demo mode starts its embedded one.
const DefaultAddr = "127.0.0.1:8089"

// RunCLI is the standalone sandbox ("go run ./server sandbox"): one seeded account,
// the given tokens of any kind (or a generated one with every scope), served on --listen
// until ctx is cancelled, then shut down gracefully.
func RunCLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", DefaultAddr, "address to listen on")
	tokens := tokenFlags{kind: KindPrivateApp, introspect: true}
	fs.Func("token", "register `TOKEN` with every scope, or TOKEN=scope1,scope2 with only those (repeatable), of the --token-kind and --introspect given before it", tokens.add)
	fs.Func("token-kind", "`KIND` of the tokens after it (and of the generated one): private-app, service-key or static (default private-app)", tokens.setKind)
	fs.BoolFunc("introspect", "whether HubSpot's token introspection answers for the service-key or static tokens after it (and the generated one); default true", tokens.setIntrospect)
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
	if len(tokens.tokens) == 0 {
		t, err := tokens.token("")
		if err != nil {
			return err
		}
		tokens.tokens = []Token{t}
	}
	var created []Token
	for _, t := range tokens.tokens {
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
		introspected := "introspected"
		if !t.introspectable() {
			introspected = "not introspected"
		}
		fmt.Fprintf(w, "token:   %s  (%s, %s; app %d; %s)\n", t.Token, cliKindName(t.Kind), introspected, t.AppID, scopes)
	}
	fmt.Fprintf(w, "admin:   %s/_sandbox/counters\n\n", baseURL)
	fmt.Fprintf(w, "export HUBSPOT_BASE_URL=%s\n", baseURL)
	fmt.Fprintf(w, "export HUBSPOT_TOKEN=%s\n", tokens[0].Token)
}

// cliKindName is the --token-kind value of kind.
func cliKindName(kind TokenKind) string {
	for name, k := range cliTokenKinds {
		if k == kind {
			return name
		}
	}
	return string(kind)
}
