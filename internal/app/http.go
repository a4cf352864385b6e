package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/gen/openapiv2"
	"github.com/connectflo/integrations/internal/audit"
	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/rpcdecode"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/service"
	"github.com/connectflo/integrations/internal/telemetry"
	"github.com/connectflo/integrations/internal/web"
)

// gatewayMaxResponseBytes bounds what the gateway accepts from our own gRPC server; field
// schemas of large portals run to megabytes.
const gatewayMaxResponseBytes = 64 << 20

// newHTTPHandler serves the REST gateway under /v1/, the probes (/livez, /readyz and /healthz,
// its older name), /metrics, /openapi.json and the settings page at /.
// The gateway calls the gRPC server over loopback so that REST calls pass through exactly the
// same interceptors (auth, logging, metrics) as gRPC ones.
func (s *Server) newHTTPHandler(ctx context.Context, reg *prometheus.Registry) (http.Handler, *grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if s.certs != nil {
		creds = credentials.NewTLS(s.certs.loopbackClientConfig())
	}
	conn, err := grpc.NewClient("passthrough:///"+loopbackTarget(s.grpcLis.Addr()),
		grpc.WithTransportCredentials(creds),
		// The codec sends text from URL paths and queries even when it is not UTF-8, for the
		// server to refuse as it refuses the same bytes from a gRPC caller.
		grpc.WithContextDialer(s.gatewayPeers.Dial), // lets the audit log tell REST calls from gRPC ones
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(gatewayMaxResponseBytes), grpc.ForceCodecV2(rpcdecode.NewGatewayCodec())))
	if err != nil {
		return nil, nil, fmt.Errorf("gateway client: %w", err)
	}
	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false}, // unknown fields are a 400
		}),
		runtime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			if strings.EqualFold(key, telemetry.RequestIDHeader) {
				return telemetry.RequestIDHeader, true
			}
			return runtime.DefaultHeaderMatcher(key)
		}),
		runtime.WithErrorHandler(gatewayErrorHandler),
		runtime.WithForwardResponseOption(flushOpenWatch),
		runtime.WithMetadata(audit.GatewayMetadata),
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			if key == telemetry.RequestIDHeader {
				return "X-Request-Id", true
			}
			return "", false // no internal metadata leaks into HTTP headers
		}),
	)
	if err := integrationsv1.RegisterIntegrationServiceHandler(ctx, gw, conn); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("register gateway: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle("/v1/", limitBody(s.cfg.MaxRequestBytes, gw))
	// HubSpot's webhooks: no API key (HubSpot's signature instead), outside the gateway.
	mux.Handle("POST "+changes.WebhookPath, s.webhook)
	mux.HandleFunc("GET /livez", s.livez)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /healthz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openapiv2.Spec)
	})
	noRoute := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusNotFound, codes.NotFound, rpcerr.ReasonNoSuchRoute,
			fmt.Sprintf("no route for %s %s: the API is under /v1/ (see /openapi.json), the settings page at /; also /livez, /readyz, /healthz, /metrics and POST /webhooks/hubspot", r.Method, r.URL.Path))
	})
	// The settings page at / and its assets; any other path is an unknown route.
	mux.Handle("/", web.Handler(noRoute))
	// ServeMux would redirect a path with "..", "." or "//" segments to its clean form, which
	// for "/v1/.." is the settings page: an API caller would get HTML. Such a path is no
	// route, answered as one, without a redirect.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isCleanPath(r.URL.Path) {
			noRoute.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}), conn, nil
}

// isCleanPath reports whether ServeMux would serve p as it is, rather than redirect it to a
// cleaned path: no empty, "." or ".." segments (a trailing slash is kept).
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return true // not a path ServeMux cleans (for example "*" of OPTIONS)
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// flushOpenWatch answers 200 at once to a WatchChanges the server accepted (it sends
// service.WatchOpenHeader before any change): the gateway would otherwise write its status
// line with the first change, and a quiet feed would leave the caller without an answer.
// A refused request has no such header and gets its error status as usual.
func flushOpenWatch(ctx context.Context, w http.ResponseWriter, resp proto.Message) error {
	if resp != nil {
		return nil // a message: only the call before the first one matters
	}
	md, ok := runtime.ServerMetadataFromContext(ctx)
	if !ok || len(md.HeaderMD.Get(service.WatchOpenHeader)) == 0 {
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	return http.NewResponseController(w).Flush()
}

// loopbackTarget turns a bound address into one the gateway can dial: a wildcard bind
// (0.0.0.0 or ::) is reached over loopback.
func loopbackTarget(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	ip := tcp.IP
	switch {
	case ip.IsUnspecified() && ip.To4() != nil:
		ip = net.IPv4(127, 0, 0, 1)
	case ip.IsUnspecified():
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// limitBody refuses bodies over max bytes: at once with 413 when the length is declared, and
// as a 400 from the gateway's decoder when a chunked body runs over.
func limitBody(max int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > int64(max) {
			writeStatus(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, rpcerr.ReasonRequestTooLarge,
				fmt.Sprintf("request body of %d bytes is over the limit of %d bytes; send fewer items per call", r.ContentLength, max))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, int64(max))
		next.ServeHTTP(w, r)
	})
}

// writeStatus writes an error in the gateway's JSON status shape, with the ErrorInfo every
// error of the API carries.
func writeStatus(w http.ResponseWriter, httpCode int, code codes.Code, reason, message string) {
	writeJSON(w, httpCode, map[string]any{"code": int(code), "message": message, "details": []any{map[string]any{
		"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": rpcerr.Domain, "metadata": map[string]string{}}}})
}

func writeJSON(w http.ResponseWriter, httpCode int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpCode)
	json.NewEncoder(w).Encode(v)
}

// gatewayErrorHandler gives errors raised by the gateway itself (malformed JSON, unknown
// fields, wrong types, unknown routes) the same ErrorInfo that errors from our handlers carry,
// then writes them the gateway's usual way.
func gatewayErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	st := status.Convert(err)
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.ErrorInfo); ok {
			runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
			return
		}
	}
	code, reason, msg := st.Code(), rpcerr.ReasonMalformedRequest, st.Message()
	md := map[string]string{"path": r.URL.Path}
	switch st.Code() {
	case codes.InvalidArgument:
		msg = "the request could not be read: " + msg + "; send a JSON object with the fields described in /openapi.json"
	case codes.NotFound, codes.Unimplemented:
		reason = rpcerr.ReasonNoSuchRoute
	case codes.ResourceExhausted:
		// Without our ErrorInfo, this is gRPC refusing a message over a size limit: never a
		// rate limit (the default 429) and never a malformed request.
		if c, rs, ms, ok := oversizeMessage(st.Message()); ok {
			code, reason, msg = c, rs, ms
		} else {
			reason = rpcerr.ReasonResourceExhausted
		}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, rpcerr.New(code, reason, msg, md))
}

// oversizeMessage explains a gRPC "message larger than max (N vs. LIMIT)" seen by the
// gateway. The limit says which side refused: the gateway's own limit on answers means the
// answer was too large (our failure: HTTP 500); the gRPC server's limit on requests means the
// request, once converted from JSON, was too large (the caller's: HTTP 400).
func oversizeMessage(grpcMsg string) (code codes.Code, reason, msg string, ok bool) {
	i := strings.LastIndex(grpcMsg, "(")
	var size, limit int
	if !strings.Contains(grpcMsg, "larger than max") || i < 0 {
		return 0, "", "", false
	}
	if n, _ := fmt.Sscanf(grpcMsg[i:], "(%d vs. %d)", &size, &limit); n != 2 {
		return 0, "", "", false
	}
	if limit == gatewayMaxResponseBytes {
		return codes.Internal, rpcerr.ReasonResponseTooLarge, fmt.Sprintf("the answer (%d bytes) is larger than the REST gateway relays (%d bytes): "+
			"ask for less in one call (a smaller page_size, fewer properties)", size, limit), true
	}
	return codes.InvalidArgument, rpcerr.ReasonRequestTooLarge, fmt.Sprintf("the request is %d bytes as a protobuf message, over the "+
		"limit of %d bytes: send fewer or smaller items per call", size, limit), true
}
