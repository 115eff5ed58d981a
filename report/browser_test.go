package report

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/xp-ml/xp/store"
)

// browser finds a Chromium to drive, or skips the test saying why.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on PATH (chromium, chromium-browser, google-chrome): apt-get install chromium to run the browser test")
	return ""
}

// TestBrowser opens reports from disk in headless Chromium, light and
// dark: no console error, no request but the page itself, every figure
// drawn with a non-empty box, and a screenshot of each saved (in
// XP_REPORT_SCREENSHOTS when set, else in the test's temporary directory).
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := browser(t)
	f := newFixture(t)
	shots := os.Getenv("XP_REPORT_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   Input
		dark bool
	}{
		{"run", Input{Runs: []*store.Run{f.credit}}, false},
		{"compare", Input{Runs: []*store.Run{f.credit, f.credit2}}, false},
		{"sweep", Input{Sweep: f.sweep}, false},
		{"run-dark", Input{Runs: []*store.Run{f.credit}}, true},
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1200, 900))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	// The checks see what they look for: a page that fetches an image,
	// logs an error and lost its figure's box.
	t.Run("checks", func(t *testing.T) {
		page := filepath.Join(t.TempDir(), "bad.html")
		bad := `<!DOCTYPE html><html><body><figure><svg width="0" height="0"></svg></figure>
<img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script></body></html>`
		if err := os.WriteFile(page, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		_, problems := openInBrowser(t, alloc, page, false, 1)
		all := strings.Join(problems, "\n")
		for _, want := range []string{"request: http://127.0.0.1:9/x.png", "console error", "figure 0 has a box"} {
			if !strings.Contains(all, want) {
				t.Errorf("no %q among the problems found:\n%s", want, all)
			}
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Build(context.Background(), f.st, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			page := filepath.Join(t.TempDir(), "report.html")
			out, err := os.Create(page)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteHTML(out, doc); err != nil {
				t.Fatal(err)
			}
			out.Close()
			png, problems := openInBrowser(t, alloc, page, tc.dark, len(doc.Figures()))
			for _, p := range problems {
				t.Error(p)
			}
			if err := os.WriteFile(filepath.Join(shots, "report-"+tc.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// openInBrowser loads page and returns a full-page screenshot and what is
// wrong with it: console errors and warnings, requests, figures without a
// box, a background that is not the colour scheme's.
func openInBrowser(t *testing.T, alloc context.Context, page string, dark bool, figures int) ([]byte, []string) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	pageURL := (&url.URL{Scheme: "file", Path: page}).String()
	var (
		mu       sync.Mutex
		problems []string
	)
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, fmt.Sprintf("console %s", ev.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, fmt.Sprintf("log %s: %s", ev.Entry.Level, ev.Entry.Text))
			}
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != pageURL {
				problems = append(problems, "request: "+ev.Request.URL)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[][2]float64](
		`Array.from(document.querySelectorAll("figure svg")).map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })`))
	if err != nil {
		t.Fatal(err)
	}
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(boxes) != figures {
		problems = append(problems, fmt.Sprintf("%d figures drawn, the document has %d", len(boxes), figures))
	}
	for i, b := range boxes {
		if b[0] < 100 || b[1] < 100 {
			problems = append(problems, fmt.Sprintf("figure %d has a box of %v", i, b))
		}
	}
	wantBG := "rgb(255, 255, 255)"
	if dark {
		wantBG = "rgb(13, 17, 23)"
	}
	if !strings.EqualFold(bg, wantBG) {
		problems = append(problems, fmt.Sprintf("%s page: background %s, want %s", scheme, bg, wantBG))
	}
	return png, problems
}
