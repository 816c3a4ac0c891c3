package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"time"

	"xuncha/bot"
)

// wechatFlags are the WeChat Official Account settings, for serve and for the commands that
// call the WeChat API (wechat menu, invite --qr).
type wechatFlags struct {
	appID, appSecret, apiURL string
	token, aesKey, template  string
	previousAESKey           string
	plaintext                bool
}

// registerAPI adds the flags needed to call the WeChat API.
func (w *wechatFlags) registerAPI(fs *flag.FlagSet) {
	fs.StringVar(&w.appID, "wechat-app-id", "", "WeChat Official Account AppID; the WeChat channel is on when it and WECHAT_TOKEN are set")
	fs.StringVar(&w.appSecret, "wechat-app-secret", "", "WeChat AppSecret, for the access token (prefer the environment variable)")
	fs.StringVar(&w.apiURL, "wechat-api-url", "https://api.weixin.qq.com", "WeChat API server")
}

// register adds every flag of the WeChat channel.
func (w *wechatFlags) register(fs *flag.FlagSet) {
	w.registerAPI(fs)
	fs.StringVar(&w.token, "wechat-token", "", "the callback Token configured for the account (signs callbacks to /wechat)")
	fs.StringVar(&w.aesKey, "wechat-aes-key", "", "EncodingAESKey (43 characters): safe mode, callbacks encrypted; required unless --wechat-plaintext")
	fs.BoolVar(&w.plaintext, "wechat-plaintext", false, "accept plaintext callbacks instead of safe mode (no WECHAT_AES_KEY): weaker, a callback's body is not signed")
	fs.StringVar(&w.previousAESKey, "wechat-aes-key-previous", "", "the EncodingAESKey before the last change: callbacks still encrypted with it are accepted while it is set")
	fs.StringVar(&w.template, "wechat-template-notice", "", "template id for messages outside the 48-hour window (fields first/keyword1/keyword2/remark or thing1/time2)")
}

func (w *wechatFlags) on() bool { return w.appID != "" || w.token != "" }

var wechatTokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)

// validate checks the channel's settings when any is set.
func (w *wechatFlags) validate() error {
	if !w.on() {
		if w.aesKey != "" || w.previousAESKey != "" || w.template != "" || w.appSecret != "" || w.plaintext {
			return errors.New("WECHAT_APP_ID and WECHAT_TOKEN must be set to turn the WeChat channel on (other WECHAT_* settings are set)")
		}
		return nil
	}
	switch {
	case w.appID == "":
		return errors.New("WECHAT_APP_ID must be set when WECHAT_TOKEN is")
	case w.token == "":
		return errors.New("WECHAT_TOKEN must be set when WECHAT_APP_ID is")
	case !wechatTokenPattern.MatchString(w.token):
		return errors.New("WECHAT_TOKEN must be 3 to 32 letters or digits, as in the account's server settings")
	}
	if err := w.validateAPI(); err != nil {
		return err
	}
	if w.previousAESKey != "" && w.aesKey == "" {
		return errors.New("WECHAT_AES_KEY_PREVIOUS is set without WECHAT_AES_KEY")
	}
	if err := bot.WeChatModeError(w.aesKey, w.plaintext); err != nil {
		return err
	}
	if w.aesKey != "" {
		if err := bot.ValidateWeChatAESKey(w.aesKey); err != nil {
			return err
		}
	}
	if w.previousAESKey != "" {
		if err := bot.ValidateWeChatAESKey(w.previousAESKey); err != nil {
			return fmt.Errorf("WECHAT_AES_KEY_PREVIOUS: %w", err)
		}
	}
	return nil
}

// validateAPI checks what calling the API needs.
func (w *wechatFlags) validateAPI() error {
	switch {
	case w.appID == "":
		return errors.New("WECHAT_APP_ID must be set")
	case w.appSecret == "":
		return errors.New("WECHAT_APP_SECRET must be set when WECHAT_APP_ID is (sending needs an access token)")
	}
	if u, err := url.Parse(w.apiURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("WECHAT_API_URL must be an http(s) URL, got %q", w.apiURL)
	}
	return nil
}

func (w *wechatFlags) api(logger *slog.Logger) *bot.WeChatAPI {
	return bot.NewWeChatAPI(logger, bot.WeChatAPIConfig{AppID: w.appID, AppSecret: w.appSecret, APIURL: w.apiURL})
}

func (w *wechatFlags) channel(lang string, loc *time.Location) bot.WeChatConfig {
	return bot.WeChatConfig{
		AppID: w.appID, AppSecret: w.appSecret, Token: w.token, AESKey: w.aesKey, PreviousAESKey: w.previousAESKey, Plaintext: w.plaintext, APIURL: w.apiURL,
		TemplateNotice: w.template, DefaultLang: lang, Location: loc,
	}
}

// inviteQR prints a parameterised QR code that binds an invitation: scanning it follows the
// account (or, for a follower, opens it) with the scene bind_CODE.
func (w *wechatFlags) inviteQR(ctx context.Context, logger *slog.Logger, stdout io.Writer, code string, expires time.Duration) error {
	link, err := w.api(logger).CreateQR(ctx, "bind_"+code, expires)
	if err != nil {
		return fmt.Errorf("invite --qr: the invitation is issued but the WeChat QR code failed: %w", err)
	}
	fmt.Fprintf(stdout, "WeChat QR code (scan to follow and bind): %s\n", link)
	return nil
}

// wechatMenu runs `xuncha wechat menu`: it installs the account's custom menu.
func wechatMenu(fs *flag.FlagSet) runFunc {
	var c common
	var wx wechatFlags
	c.register(fs, 0)
	wx.registerAPI(fs)
	return func(ctx context.Context, e *env) error {
		if err := c.validate(wx.validateAPI); err != nil {
			return err
		}
		if err := wx.api(c.logger(e.stderr)).CreateMenu(ctx, bot.WeChatMenuButtons()); err != nil {
			return fmt.Errorf("wechat menu: %w", err)
		}
		fmt.Fprintln(e.stdout, "WeChat custom menu installed: 举报 / 查询 / 我的")
		return nil
	}
}
