package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// streamBatch is how many events a stream reads from the log at a time.
const streamBatch = 100

// stream serves a configuration's events (GET /v1/events?configuration=) or
// one ticket's (GET /v1/tickets/{id}/events) as Server-Sent Events. Each
// message's id is the event's sequence number in the configuration's log;
// a client resumes with Last-Event-ID (or ?after=) and first gets every
// logged event it missed, then live ones. Idle streams send a comment line
// every heartbeat.
func (h *Handler) stream(perTicket bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if status, msg := h.bearer(r); status != 0 {
			typ := "UnauthorizedException"
			if status == http.StatusForbidden {
				typ = "AccessDeniedException"
			}
			restFail(w, status, typ, msg)
			return
		}
		ctx := r.Context()
		after, err := resumePoint(r)
		if err != nil {
			fail(w, r, h, err)
			return
		}
		var cfg, ticket string
		if perTicket {
			ticket = r.PathValue("id")
			cfg, err = h.svc.TicketConfiguration(ctx, ticket)
		} else {
			cfg = r.URL.Query().Get("configuration")
			if cfg == "" {
				err = bad("configuration: is required")
			} else {
				var out *matchmaker.DescribeMatchmakingConfigurationsOutput
				if out, err = h.svc.DescribeMatchmakingConfigurations(ctx, &matchmaker.DescribeMatchmakingConfigurationsInput{Names: []string{cfg}}); err == nil && len(out.Configurations) == 0 {
					err = missingConfiguration(cfg)
				}
			}
		}
		if err != nil {
			fail(w, r, h, err)
			return
		}
		h.serveStream(ctx, w, cfg, ticket, after)
	}
}

func fail(w http.ResponseWriter, r *http.Request, h *Handler, err error) {
	e := matchmaker.AsError(err)
	h.logError(r, e)
	restFail(w, statusOf(e), string(e.Type), e.Message)
}

// resumePoint is the sequence number after which to stream: Last-Event-ID,
// else ?after=, else 0 (the whole retained log).
func resumePoint(r *http.Request) (uint64, error) {
	field, v := "Last-Event-ID", r.Header.Get("Last-Event-ID")
	if v == "" {
		field, v = "after", r.URL.Query().Get("after")
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, bad(field + ": want a sequence number")
	}
	return n, nil
}

func (h *Handler) serveStream(ctx context.Context, w http.ResponseWriter, cfg, ticket string, after uint64) {
	wake, cancel := h.svc.Subscribe(cfg)
	defer cancel()
	rc := http.NewResponseController(w)
	// A stream outlives any server WriteTimeout; writes end when the client goes.
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, ": configuration %s\n\n", cfg); err != nil {
		return
	}
	_ = rc.Flush()
	poll := time.NewTicker(h.poll)
	defer poll.Stop()
	beat := time.NewTicker(h.heartbeat)
	defer beat.Stop()
	for {
		evs, err := h.svc.EventsAfter(ctx, cfg, after, streamBatch)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("event stream: read log", "configuration", cfg, "err", err)
			}
			return
		}
		if len(evs) > 0 && evs[0].Seq > after+1 && after > 0 {
			if _, err := fmt.Fprintf(w, ": events %d to %d are no longer in the log\n\n", after+1, evs[0].Seq-1); err != nil {
				return
			}
		}
		for _, ev := range evs {
			after = ev.Seq
			if ticket != "" && !slices.Contains(ev.TicketIds, ticket) {
				continue
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, eventType(ev.Payload), ev.Payload); err != nil {
				return
			}
		}
		if len(evs) > 0 {
			if err := rc.Flush(); err != nil {
				return
			}
		}
		if len(evs) == streamBatch {
			continue
		}
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				waiting = false
			case <-poll.C:
				waiting = false
			case <-beat.C:
				if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
					return
				}
				if err := rc.Flush(); err != nil {
					return
				}
			}
		}
	}
}

// eventType reads detail.type from an event payload.
func eventType(payload []byte) string {
	var ev struct {
		Detail struct {
			Type string `json:"type"`
		} `json:"detail"`
	}
	if json.Unmarshal(payload, &ev) != nil || ev.Detail.Type == "" {
		return "message"
	}
	return ev.Detail.Type
}
