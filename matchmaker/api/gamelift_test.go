package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"
)

func sdkClient(url, id, secret string) *gamelift.Client {
	return gamelift.New(gamelift.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(url),
	})
}

// TestAWSSDK drives Matchpoint with the official AWS SDK for Go, as a
// GameLift user would after changing the endpoint.
func TestAWSSDK(t *testing.T) {
	s := newServer(t, nil)
	gl := sdkClient(s.URL, keyID, keySecret)
	ctx := context.Background()

	rs, err := gl.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String("rs"), RuleSetBody: aws.String(ruleSet)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(rs.RuleSet.RuleSetArn) != "arn:aws:gamelift:us-east-1:123456789012:matchmakingruleset/rs" || rs.RuleSet.CreationTime == nil {
		t.Fatalf("rule set %+v", rs.RuleSet)
	}
	if _, err := gl.ValidateMatchmakingRuleSet(ctx, &gamelift.ValidateMatchmakingRuleSetInput{RuleSetBody: aws.String(ruleSet)}); err != nil {
		t.Fatal(err)
	}
	cfg, err := gl.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("c"), RuleSetName: aws.String("rs"), RequestTimeoutSeconds: aws.Int32(120), AcceptanceRequired: aws.Bool(true),
		AcceptanceTimeoutSeconds: aws.Int32(30), FlexMatchMode: types.FlexMatchModeStandalone, CustomEventData: aws.String("x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Configuration.FlexMatchMode != types.FlexMatchModeStandalone || aws.ToInt32(cfg.Configuration.RequestTimeoutSeconds) != 120 {
		t.Fatalf("configuration %+v", cfg.Configuration)
	}
	up, err := gl.UpdateMatchmakingConfiguration(ctx, &gamelift.UpdateMatchmakingConfigurationInput{Name: aws.String("c"), RequestTimeoutSeconds: aws.Int32(300)})
	if err != nil || aws.ToInt32(up.Configuration.RequestTimeoutSeconds) != 300 {
		t.Fatalf("update: %+v %v", up, err)
	}
	dc, err := gl.DescribeMatchmakingConfigurations(ctx, &gamelift.DescribeMatchmakingConfigurationsInput{})
	if err != nil || len(dc.Configurations) != 1 {
		t.Fatalf("describe configurations: %+v %v", dc, err)
	}
	drs, err := gl.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{Names: []string{"rs"}})
	if err != nil || len(drs.RuleSets) != 1 {
		t.Fatalf("describe rule sets: %+v %v", drs, err)
	}

	var ids []string
	for _, p := range []string{"alice", "bob"} {
		out, err := gl.StartMatchmaking(ctx, &gamelift.StartMatchmakingInput{
			ConfigurationName: aws.String("c"),
			Players: []types.Player{{
				PlayerId:         aws.String(p),
				PlayerAttributes: map[string]types.AttributeValue{"skill": {N: aws.Float64(23.5)}},
				LatencyInMs:      map[string]int32{"us-east-1": 40},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		tk := out.MatchmakingTicket
		if tk.Status != types.MatchmakingConfigurationStatusQueued || tk.StartTime == nil || time.Since(*tk.StartTime) > time.Minute || len(aws.ToString(tk.TicketId)) != 36 {
			t.Fatalf("ticket %+v", tk)
		}
		ids = append(ids, aws.ToString(tk.TicketId))
	}
	desc, err := gl.DescribeMatchmaking(ctx, &gamelift.DescribeMatchmakingInput{TicketIds: append(ids, "missing")})
	if err != nil {
		t.Fatal(err)
	}
	if len(desc.TicketList) != 2 || desc.TicketList[0].Status != types.MatchmakingConfigurationStatusSearching ||
		aws.ToFloat64(desc.TicketList[0].Players[0].PlayerAttributes["skill"].N) != 23.5 || desc.TicketList[0].Players[0].LatencyInMs["us-east-1"] != 40 {
		t.Fatalf("describe %+v", desc.TicketList)
	}
	if _, err := gl.StopMatchmaking(ctx, &gamelift.StopMatchmakingInput{TicketId: aws.String(ids[0])}); err != nil {
		t.Fatal(err)
	}
	desc, err = gl.DescribeMatchmaking(ctx, &gamelift.DescribeMatchmakingInput{TicketIds: ids[:1]})
	if err != nil || desc.TicketList[0].Status != types.MatchmakingConfigurationStatusCancelled || desc.TicketList[0].EndTime == nil ||
		aws.ToString(desc.TicketList[0].StatusReason) != "Cancelled" {
		t.Fatalf("stopped %+v %v", desc, err)
	}
	_, err = gl.AcceptMatch(ctx, &gamelift.AcceptMatchInput{TicketId: aws.String(ids[1]), PlayerIds: []string{"bob"}, AcceptanceType: types.AcceptanceTypeAccept})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) || !strings.Contains(ire.ErrorMessage(), "REQUIRES_ACCEPTANCE") {
		t.Fatalf("accept while searching: %v", err)
	}
	_, err = gl.StartMatchBackfill(ctx, &gamelift.StartMatchBackfillInput{ConfigurationName: aws.String("c"), Players: []types.Player{{PlayerId: aws.String("z"), Team: aws.String("red")}}})
	if err != nil {
		t.Fatal(err)
	}

	// Bad input: a typed InvalidRequestException naming the field.
	_, err = gl.StartMatchmaking(ctx, &gamelift.StartMatchmakingInput{
		ConfigurationName: aws.String("c"),
		Players:           []types.Player{{PlayerId: aws.String("carol"), PlayerAttributes: map[string]types.AttributeValue{"skill": {S: aws.String("")}}}},
	})
	if !errors.As(err, &ire) || !strings.HasPrefix(ire.ErrorMessage(), "Players[0].PlayerAttributes[skill].S: ") {
		t.Fatalf("bad attribute: %v", err)
	}
	_, err = gl.StartMatchmaking(ctx, &gamelift.StartMatchmakingInput{ConfigurationName: aws.String("nope"), Players: []types.Player{{PlayerId: aws.String("d")}}})
	var nfe *types.NotFoundException
	if !errors.As(err, &nfe) {
		t.Fatalf("unknown configuration: %v", err)
	}
	_, err = gl.DeleteMatchmakingRuleSet(ctx, &gamelift.DeleteMatchmakingRuleSetInput{Name: aws.String("rs")})
	if !errors.As(err, &ire) {
		t.Fatalf("delete rule set in use: %v", err)
	}
	if _, err := gl.DeleteMatchmakingConfiguration(ctx, &gamelift.DeleteMatchmakingConfigurationInput{Name: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	if _, err := gl.DeleteMatchmakingRuleSet(ctx, &gamelift.DeleteMatchmakingRuleSetInput{Name: aws.String("rs")}); err != nil {
		t.Fatal(err)
	}

	// A bad signature (wrong secret) and an unknown key: 403, nothing written.
	for _, c := range []struct{ id, secret, code string }{{keyID, "wrong", "InvalidSignatureException"}, {"nobody", keySecret, "UnrecognizedClientException"}} {
		_, err = sdkClient(s.URL, c.id, c.secret).CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String("rs2"), RuleSetBody: aws.String(ruleSet)})
		var re *awshttp.ResponseError
		var ae smithy.APIError
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden || !errors.As(err, &ae) || ae.ErrorCode() != c.code {
			t.Fatalf("credentials %s/%s: %v", c.id, c.secret, err)
		}
	}
	if all, _ := s.st.ListRuleSets(ctx); len(all) != 0 {
		t.Fatal("a badly signed request wrote")
	}
}

// TestJSON11 speaks the GameLift JSON 1.1 protocol (POST / with
// X-Amz-Target), signed with the SDK's SigV4 signer.
func TestJSON11(t *testing.T) {
	now := time.Now()
	s := newServer(t, nil)
	status, hdr, b := s.signed(t, "CreateMatchmakingRuleSet", `{"Name":"rs","RuleSetBody":`+jsonString(ruleSet)+`}`, now, keySecret)
	if status != 200 || hdr.Get("Content-Type") != "application/x-amz-json-1.1" || !strings.Contains(string(b), `"RuleSetName":"rs"`) {
		t.Fatalf("create rule set: %d %s", status, b)
	}
	status, _, b = s.signed(t, "CreateMatchmakingConfiguration", `{"Name":"c","RuleSetName":"rs","RequestTimeoutSeconds":60,"AcceptanceRequired":false}`, now, keySecret)
	if status != 200 {
		t.Fatalf("create configuration: %d %s", status, b)
	}
	status, _, b = s.signed(t, "StartMatchmaking", `{"ConfigurationName":"c","TicketId":"t1","Players":[{"PlayerId":"p1"}]}`, now, keySecret)
	var start struct{ MatchmakingTicket map[string]any }
	if status != 200 || json.Unmarshal(b, &start) != nil || start.MatchmakingTicket["Status"] != "QUEUED" {
		t.Fatalf("start: %d %s", status, b)
	}
	if _, ok := start.MatchmakingTicket["StartTime"].(float64); !ok {
		t.Fatalf("StartTime is not epoch seconds: %s", b)
	}
	for _, c := range []struct {
		name, action, body string
		at                 time.Time
		secret             string
		status             int
		typ, message       string
	}{
		{"unknown field", "StartMatchmaking", `{"ConfigurationName":"c","Players":[{"PlayerId":"p"}],"X":1}`, now, keySecret, 400, "InvalidRequestException", "field X: unknown field"},
		{"wrong type", "StartMatchmaking", `{"ConfigurationName":"c","Players":"p"}`, now, keySecret, 400, "InvalidRequestException", "field Players: expected array, got string"},
		{"not found", "StopMatchmaking", `{"TicketId":"nope"}`, now, keySecret, 400, "NotFoundException", "TicketId: "},
		{"duplicate", "StartMatchmaking", `{"ConfigurationName":"c","TicketId":"t1","Players":[{"PlayerId":"p2"}]}`, now, keySecret, 400, "InvalidRequestException", "TicketId: ticket \"t1\" already exists"},
		{"unknown action", "DeleteBuild", `{}`, now, keySecret, 400, "UnknownOperationException", "X-Amz-Target: "},
		{"bad signature", "StartMatchmaking", `{"ConfigurationName":"c","Players":[{"PlayerId":"p3"}]}`, now, "wrong", 403, "InvalidSignatureException", "The request signature"},
		{"expired", "StartMatchmaking", `{"ConfigurationName":"c","Players":[{"PlayerId":"p3"}]}`, now.Add(-16 * time.Minute), keySecret, 403, "InvalidSignatureException", "Signature expired"},
		{"future", "StartMatchmaking", `{"ConfigurationName":"c","Players":[{"PlayerId":"p3"}]}`, now.Add(16 * time.Minute), keySecret, 403, "InvalidSignatureException", "Signature expired"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, hdr, b := s.signed(t, c.action, c.body, c.at, c.secret)
			var e awsError
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if status != c.status || e.Type != c.typ || hdr.Get("X-Amzn-ErrorType") != c.typ || !strings.HasPrefix(e.Message, c.message) {
				t.Fatalf("%d %+v, want %d %s %q", status, e, c.status, c.typ, c.message)
			}
		})
	}
	if tk, _ := s.st.GetTicket(t.Context(), "t1"); tk.Players[0].PlayerId != "p1" {
		t.Fatal("duplicate overwrote")
	}
	if evs, _ := s.st.EventsAfter(t.Context(), "c", 0, 100); len(evs) != 1 {
		t.Fatalf("%d events, want 1: refused requests wrote", len(evs))
	}

	// Unsigned: 403 MissingAuthenticationTokenException.
	req, _ := http.NewRequest("POST", s.URL+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "GameLift.DescribeMatchmaking")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

// TestCBORFace sends raw RPC v2 CBOR requests the SDK would not send.
func TestCBORFace(t *testing.T) {
	s := newServer(t, nil)
	send := func(action string, body []byte, contentType string) (int, http.Header, map[string]string) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+"/service/GameLift/operation/"+action, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: keySecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gamelift", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		out := map[string]string{}
		if v, err := cbor.Decode(raw); err == nil {
			if m, ok := v.(cbor.Map); ok {
				for k, e := range m {
					if str, ok := e.(cbor.String); ok {
						out[k] = string(str)
					}
				}
			}
		}
		return resp.StatusCode, resp.Header, out
	}
	for _, c := range []struct {
		name, action string
		body         []byte
		ctype        string
		status       int
		typ, message string
	}{
		{"malformed", "StartMatchmaking", []byte{0xa1, 0x61}, "application/cbor", 400, "InvalidRequestException", "body: malformed CBOR"},
		{"wrong type", "StopMatchmaking", cbor.Encode(cbor.Map{"TicketId": cbor.Uint(7)}), "application/cbor", 400, "InvalidRequestException", "field TicketId: expected string, got number"},
		{"unknown field", "StopMatchmaking", cbor.Encode(cbor.Map{"Ticket": cbor.String("x")}), "application/cbor", 400, "InvalidRequestException", "field Ticket: unknown field"},
		{"NaN", "StartMatchmaking", cbor.Encode(cbor.Map{"X": cbor.Float64(math.NaN())}), "application/cbor", 400, "InvalidRequestException", "field X: must be a finite number"},
		{"not found", "StopMatchmaking", cbor.Encode(cbor.Map{"TicketId": cbor.String("nope")}), "application/cbor", 400, "NotFoundException", "TicketId: "},
		{"unknown operation", "CreateBuild", cbor.Encode(cbor.Map{}), "application/cbor", 400, "UnknownOperationException", "path: unknown operation CreateBuild"},
		{"content type", "StopMatchmaking", []byte(`{"TicketId":"x"}`), "application/json", 400, "InvalidRequestException", "Content-Type: want application/cbor"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, hdr, out := send(c.action, c.body, c.ctype)
			if status != c.status || hdr.Get("Smithy-Protocol") != "rpc-v2-cbor" || out["__type"] != c.typ || !strings.HasPrefix(out["message"], c.message) || out["Message"] != out["message"] {
				t.Fatalf("%d %v %v, want %d %s %q", status, hdr, out, c.status, c.typ, c.message)
			}
		})
	}
}
