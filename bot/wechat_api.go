package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// WeChatAPIConfig is what calling the WeChat API needs.
type WeChatAPIConfig struct {
	AppID     string
	AppSecret string
	APIURL    string // default https://api.weixin.qq.com
}

// WeChatAPI calls the few WeChat JSON APIs the channel needs. The calls are made here with
// net/http rather than through silenceper/wechat: its URLs are hard-coded (only a global hook
// redirects them), its send methods return untyped errors (the errcode must be parsed from a
// string) and take no context, and its token cache neither is race-free nor refreshes a revoked
// token.
type WeChatAPI struct {
	log  *slog.Logger
	cfg  WeChatAPIConfig
	http *http.Client
	now  func() time.Time

	// mu guards the cached token. It is held while a token is fetched, so concurrent callers
	// wait for one fetch instead of each fetching (every fetch revokes the previous token).
	mu      sync.Mutex
	token   string
	expires time.Time

	tokenHealth health // the last token fetch; read by WeChat.Healthy without taking mu
}

// APIError is an errcode WeChat answered.
type APIError struct {
	Code int
	Msg  string
}

func (e *APIError) Error() string { return fmt.Sprintf("wechat errcode %d: %s", e.Code, e.Msg) }

// WeChat error codes the channel acts on.
const (
	errTokenInvalid   = 40001 // access_token invalid or revoked (another fetch replaced it)
	errTokenBad       = 40014 // access_token not valid
	errTokenExpired   = 42001
	errUnfollowed     = 43004 // the user does not follow the account
	errRefused        = 43101 // the user refused subscribe messages
	errQuota          = 45009 // api freq out of limit
	errWindowClosed   = 45015 // customer-service reply out of the 48-hour window
	errWindowUsed     = 45047 // customer-service message count over the cap
	errSystemBusy     = -1
	maxWeChatBody     = 1 << 20
	wechatCallTimeout = 15 * time.Second
)

// NewWeChatAPI returns an API client with its own HTTP client and timeouts.
func NewWeChatAPI(logger *slog.Logger, cfg WeChatAPIConfig) *WeChatAPI {
	if cfg.APIURL == "" {
		cfg.APIURL = "https://api.weixin.qq.com"
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	return &WeChatAPI{log: logger, cfg: cfg, http: &http.Client{Timeout: wechatCallTimeout}, now: time.Now}
}

// accessToken returns the cached token, fetching one when there is none or it is about to
// expire. WeChat keeps the old token valid for 5 minutes after a new one is issued; the cache
// renews 5 minutes before expiry.
func (a *WeChatAPI) accessToken(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && a.now().Before(a.expires) {
		return a.token, nil
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {a.cfg.AppID}, "secret": {a.cfg.AppSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.cfg.APIURL+"/cgi-bin/token?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("wechat token: %w", err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		ErrCode     int    `json:"errcode"`
		ErrMsg      string `json:"errmsg"`
	}
	if err := a.do(req, &out); err != nil {
		a.tokenHealth.fail("access token fetch")
		return "", fmt.Errorf("wechat token: %w", err)
	}
	if out.ErrCode != 0 || out.AccessToken == "" {
		a.tokenHealth.fail("access token fetch")
		return "", fmt.Errorf("wechat token (check WECHAT_APP_ID and WECHAT_APP_SECRET): %w", &APIError{Code: out.ErrCode, Msg: out.ErrMsg})
	}
	life := time.Duration(out.ExpiresIn)*time.Second - 5*time.Minute
	a.token, a.expires = out.AccessToken, a.now().Add(max(life, time.Minute))
	a.tokenHealth.ok()
	return a.token, nil
}

// dropToken forgets token if it is still the cached one (another caller may have replaced it).
func (a *WeChatAPI) dropToken(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token == token {
		a.token = ""
	}
}

// do runs a request and decodes a JSON answer. Transport errors carry the URL, which holds the
// access token or the secret: it is cut from the error.
func (a *WeChatAPI) do(req *http.Request, out any) error {
	res, err := a.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = req.URL.Path
		}
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("http status %d", res.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxWeChatBody)).Decode(out); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// post calls a JSON API with the access token. A token WeChat calls invalid or expired is
// dropped, a new one fetched, and the call made once more.
func (a *WeChatAPI) post(ctx context.Context, path string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	for attempt := 0; ; attempt++ {
		token, err := a.accessToken(ctx)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.APIURL+path+"?access_token="+url.QueryEscape(token), bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		var answer json.RawMessage
		if err := a.do(req, &answer); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		var e struct {
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := json.Unmarshal(answer, &e); err != nil {
			return fmt.Errorf("%s: decode: %w", path, err)
		}
		if tokenRejected(e.ErrCode) && attempt == 0 {
			a.log.Warn("wechat access token rejected, fetching a new one", "errcode", e.ErrCode)
			a.dropToken(token)
			continue
		}
		if e.ErrCode != 0 {
			return fmt.Errorf("%s: %w", path, &APIError{Code: e.ErrCode, Msg: e.ErrMsg})
		}
		if out != nil {
			if err := json.Unmarshal(answer, out); err != nil {
				return fmt.Errorf("%s: decode: %w", path, err)
			}
		}
		return nil
	}
}

func tokenRejected(code int) bool {
	return code == errTokenInvalid || code == errTokenBad || code == errTokenExpired
}

// SendText sends a customer-service text message.
func (a *WeChatAPI) SendText(ctx context.Context, openID, text string) error {
	return a.post(ctx, "/cgi-bin/message/custom/send", map[string]any{
		"touser": openID, "msgtype": "text", "text": map[string]string{"content": text},
	}, nil)
}

// SendTemplate sends a template message; data maps field names to values.
func (a *WeChatAPI) SendTemplate(ctx context.Context, openID, templateID string, data map[string]string) error {
	fields := map[string]map[string]string{}
	for k, v := range data {
		fields[k] = map[string]string{"value": v}
	}
	return a.post(ctx, "/cgi-bin/message/template/send", map[string]any{
		"touser": openID, "template_id": templateID, "data": fields,
	}, nil)
}

// CreateMenu installs the account's custom menu.
func (a *WeChatAPI) CreateMenu(ctx context.Context, buttons []MenuButton) error {
	return a.post(ctx, "/cgi-bin/menu/create", map[string]any{"button": buttons}, nil)
}

// MenuButton is one click button of the custom menu.
type MenuButton struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Key  string `json:"key"`
}

// CreateQR creates a temporary parameterised QR code for scene (at most 64 characters) and
// returns the URL of its image. expires is capped at WeChat's 30 days.
func (a *WeChatAPI) CreateQR(ctx context.Context, scene string, expires time.Duration) (string, error) {
	secs := int(min(expires, 30*24*time.Hour) / time.Second)
	var out struct {
		Ticket string `json:"ticket"`
	}
	err := a.post(ctx, "/cgi-bin/qrcode/create", map[string]any{
		"expire_seconds": max(secs, 60), "action_name": "QR_STR_SCENE",
		"action_info": map[string]any{"scene": map[string]string{"scene_str": scene}},
	}, &out)
	if err != nil {
		return "", err
	}
	if out.Ticket == "" {
		return "", errors.New("qrcode/create: no ticket in the answer")
	}
	return "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=" + url.QueryEscape(out.Ticket), nil
}

// Media downloads a temporary media file a user sent. WeChat answers an error as JSON instead
// of the file; the token is refreshed once on 40001/42001 as for the other calls.
func (a *WeChatAPI) Media(ctx context.Context, mediaID string, limit int64) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		token, err := a.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		q := url.Values{"access_token": {token}, "media_id": {mediaID}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.cfg.APIURL+"/cgi-bin/media/get?"+q.Encode(), nil)
		if err != nil {
			return nil, fmt.Errorf("media/get: %w", err)
		}
		res, err := a.http.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				ue.URL = req.URL.Path
			}
			return nil, fmt.Errorf("media/get: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
		res.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("media/get: %w", err)
		}
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("media/get: http status %d", res.StatusCode)
		}
		ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
		if ct == "application/json" || ct == "text/plain" {
			var e struct {
				ErrCode int    `json:"errcode"`
				ErrMsg  string `json:"errmsg"`
			}
			if json.Unmarshal(data, &e) == nil && e.ErrCode != 0 {
				if tokenRejected(e.ErrCode) && attempt == 0 {
					a.dropToken(token)
					continue
				}
				return nil, fmt.Errorf("media/get: %w", &APIError{Code: e.ErrCode, Msg: e.ErrMsg})
			}
		}
		return data, nil
	}
}

// WeChatMenuButtons is the account's custom menu: 举报 (report), 查询 (query), 我的 (mine: the
// help, which lists what the user's role may do). The keys are mapped back to commands when
// clicked.
func WeChatMenuButtons() []MenuButton {
	return []MenuButton{
		{Type: "click", Name: "举报", Key: "menu_report"},
		{Type: "click", Name: "查询", Key: "menu_query"},
		{Type: "click", Name: "我的", Key: "menu_mine"},
	}
}
