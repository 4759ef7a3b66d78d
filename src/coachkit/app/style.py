"""The app's look, as one stylesheet shipped inside an HTML widget (Voila has no other way).

Its colours are the palette's custom properties (``var(--ck-...)``), defined by the block
:data:`CSS` starts with: every colour has its home in :mod:`coachkit.views.palette`.
"""

from coachkit.views.palette import css_variables

CSS = "<style>\n" + css_variables() + """
.ck-app { max-width: 1180px; margin: 0 auto; font-family: system-ui, -apple-system, 'Segoe UI',
  Helvetica, Arial, sans-serif; color: var(--ck-ink); }
.ck-brand h1 { font-size: 1.5em; margin: 0.2em 0; }
.ck-brand .ck-sub { color: var(--ck-muted); }
.ck-status-saved { color: var(--ck-good); } .ck-status-pending { color: var(--ck-warning-text); }
.ck-status-conflict, .ck-status-error { color: var(--ck-critical); font-weight: 600; }
.ck-app, .ck-app .widget-box, .ck-app .widget-tab, .ck-app .widget-tab > .widget-box,
.ck-app .jupyter-widget-TabPanel-tabContents, .ck-app .lm-TabPanel-stackedPanel,
.ck-app .lm-StackedPanel { overflow: visible !important; }
.ck-statusbar { position: sticky; top: 0; z-index: 20; background: var(--ck-paper);
  border-bottom: 1px solid var(--ck-grid); padding: 4px 0; flex-wrap: wrap; gap: 4px 16px;
  box-sizing: border-box; min-height: 34px;
  /* stuck, it covers the page's top padding (where scrolled text would show); unstuck,
     only its own top margin */
  margin-top: 12px !important; box-shadow: 0 -12px 0 var(--ck-paper); }
.ck-statusbar .ck-status { flex: 1 1 auto; min-width: 0; }
.ck-statusbar .ck-links { flex: 0 1 auto; min-width: 0; }
.ck-step { align-items: flex-start; gap: 16px; width: 100%; }
.ck-step-body { flex: 2 1 0; min-width: 0; }
.ck-app .ck-side { flex: 1 1 0; min-width: 260px; position: sticky; top: 44px;
  max-height: calc(100vh - 52px); overflow-y: auto !important; }
.ck-coach-panel { background: var(--ck-panel); border: 1px solid var(--ck-grid); border-radius: 8px;
  padding: 8px 10px; }
.ck-brief-side { background: var(--ck-warning-wash); border: 1px solid var(--ck-warning-edge);
  border-radius: 8px;
  padding: 4px 10px; margin-top: 8px; }
.ck-brief-side .ck-brief { max-height: 55vh; overflow-y: auto; padding-right: 4px; }
.ck-brief-side summary { font-weight: 600; cursor: pointer; padding: 4px 0; }
.ck-brief-side .ck-brief h1 { font-size: 1.1em; }
.ck-brief-side .ck-brief { font-size: 0.92em; }
.ck-panel-head { font-weight: 600; margin-bottom: 6px; }
.ck-pct { float: right; color: var(--ck-muted); font-weight: normal; }
.ck-nudge { border-left: 4px solid var(--ck-faint); padding: 6px 8px; margin: 2px 0 8px;
  background: var(--ck-paper); border-radius: 4px; }
.ck-finding { border-left: 4px solid var(--ck-faint); background: var(--ck-paper); padding: 6px 8px;
  margin: 6px 0; border-radius: 4px; }
.ck-critical { border-left-color: var(--ck-critical); }
.ck-warning { border-left-color: var(--ck-warning); }
.ck-info { border-left-color: var(--ck-info); } .ck-good { border-left-color: var(--ck-good); }
.ck-question { color: var(--ck-text); margin-top: 3px; font-style: italic; }
.ck-rule { color: var(--ck-faint); font-size: 0.8em; margin-top: 2px; }
.ck-ok { color: var(--ck-good); padding: 4px 0; }
.ck-verdict { border: 1px solid var(--ck-line); border-left: 6px solid var(--ck-text);
  border-radius: 8px;
  background: var(--ck-paper); padding: 8px 12px; margin: 4px 0 10px; }
.ck-verdict-label { font-size: 1.3em; font-weight: 700; }
.ck-verdict-meaning { color: var(--ck-text); margin: 2px 0 4px; }
.ck-verdict-because { margin: 2px 0 0 1.2em; padding: 0; }
.ck-verdict-walk-away, .ck-verdict-back-to-discovery { border-left-color: var(--ck-critical); }
.ck-verdict-multi-thread-first, .ck-verdict-fix-the-plan, .ck-verdict-close-the-gaps {
  border-left-color: var(--ck-warning); }
.ck-verdict-on-track, .ck-verdict-ready-to-propose { border-left-color: var(--ck-good); }
.ck-verdict-keep-discovering { border-left-color: var(--ck-info); }
.ck-dismissed { opacity: 0.65; } .ck-dismissal { color: var(--ck-text); font-size: 0.88em; }
.ck-review-head { margin: 4px 0; } .ck-review-note-text { border-left: 3px solid var(--ck-faint);
  margin: 4px 0 8px; padding: 2px 10px; white-space: pre-line; }
.ck-app .widget-html-content { line-height: 1.4; }
.ck-app .ck-input { width: calc(100% - 6px) !important; min-width: 0; max-width: 100%; }
.ck-app .ck-flag { width: auto !important; margin-top: 22px; }
.ck-app .ck-flag .widget-label-basic, .ck-app .ck-flag label { color: var(--ck-text); }
.ck-app .ck-input input, .ck-app .ck-input textarea, .ck-app .ck-input select {
  width: 100%; min-width: 0; box-sizing: border-box; font-family: inherit; }
.ck-app .ck-field, .ck-app .ck-step-body .widget-gridbox > * { min-width: 0; }
.ck-steps .lm-TabBar-tab { flex: 1 1 auto !important; min-width: max-content !important;
  max-width: none !important; }
.ck-badge { display: inline-block; font-size: 0.72em; font-weight: 700; letter-spacing: 0.04em;
  padding: 1px 6px; border-radius: 3px; color: var(--ck-paper); margin-right: 4px;
  vertical-align: 1px; }
.ck-badge-critical { background: var(--ck-critical); }
.ck-badge-warning { background: var(--ck-warning); }
.ck-badge-info { background: var(--ck-info); }
.ck-row-summary { flex: 1 1 auto; min-width: 0; }
.ck-row button, .ck-add { flex: 0 0 auto; min-width: max-content; width: auto !important; }
.ck-label { font-weight: 600; font-size: 0.92em; color: var(--ck-text); }
.ck-hint { color: var(--ck-muted); font-size: 0.92em; margin: 2px 0 8px; }
.ck-field { margin-bottom: 4px; }
.ck-field-error { color: var(--ck-critical); font-size: 0.88em; min-height: 0; }
.ck-row { border: 1px solid var(--ck-grid); border-radius: 8px; padding: 8px; margin: 6px 0;
  background: var(--ck-paper); }
.ck-heading { margin: 14px 0 4px; font-size: 1.1em; }
.ck-coi { font-size: 1.05em; padding: 4px 0; }
.ck-map svg { max-width: 100%; height: auto; }
.ck-map-note { color: var(--ck-muted); font-size: 0.88em; margin: 4px 0; }
.ck-conf-row { width: 100%; align-items: center; gap: 8px; }
.ck-conf-head { display: grid; grid-template-columns: 220px 120px 120px 1fr; gap: 8px;
  font-weight: 600; color: var(--ck-text); width: 100%; }
.ck-dim { width: 220px; min-width: 220px; }
.ck-scores { display: flex; gap: 16px; flex-wrap: wrap; }
.ck-score { border: 1px solid var(--ck-grid); border-radius: 8px; padding: 8px 12px;
  flex: 1 1 280px; }
.ck-score-value { font-size: 2em; font-weight: 700; } .ck-score-value span { font-size: 0.5em;
  color: var(--ck-subtle); }
.ck-score-name { text-transform: capitalize; color: var(--ck-text); margin-bottom: 4px; }
.ck-parts { font-size: 0.85em; border-collapse: collapse; width: 100%; }
.ck-parts td { padding: 1px 4px; border-top: 1px solid var(--ck-neutral-tint); }
.ck-num { text-align: right; white-space: nowrap; } .ck-note { color: var(--ck-subtle); }
.ck-banner { background: var(--ck-warning-wash); border: 1px solid var(--ck-warning-edge);
  border-radius: 8px;
  padding: 8px 12px; margin: 6px 0; }
.ck-error-box { color: var(--ck-critical); }
.ck-brief { max-width: 860px; line-height: 1.5; } .ck-brief h1 { font-size: 1.3em; }
.ck-app .widget-tab > .lm-TabBar .lm-TabBar-content, .ck-steps .lm-TabBar-content {
  flex-wrap: wrap; }
.ck-app .widget-tab > .lm-TabBar { height: auto; overflow: visible;
  min-height: var(--jp-widgets-horizontal-tab-height, 24px); }
/* Tablets and phones: the coach below the form, every field the form's width. */
@media (max-width: 820px) {
  .ck-step { flex-direction: column !important; }
  .ck-step-body, .ck-app .ck-side { width: 100%; flex: 0 0 auto; min-width: 0; }
  .ck-app .ck-side { position: static; max-height: none; overflow: visible !important; }
  .ck-brief-side .ck-brief { max-height: none; }
  .ck-picker .widget-hbox { flex-wrap: wrap; }
  .ck-app .ck-step-body > .ck-field { width: 100% !important; }
}
/* Phones: one field a row; each confidence dimension on its own lines, its scores labelled. */
@media (max-width: 600px) {
  .ck-app .widget-gridbox { grid-template-columns: minmax(0, 1fr) !important; }
  .ck-conf-head { display: none; }
  .ck-conf-row { flex-wrap: wrap; }
  .ck-dim { width: 100%; min-width: 0; font-weight: 600; }
  .ck-conf-row > .ck-field:nth-child(2)::before { content: "Customer"; }
  .ck-conf-row > .ck-field:nth-child(3)::before { content: "Us"; }
  .ck-conf-row > .ck-field::before { font-size: 0.85em; color: var(--ck-muted); }
  .ck-app .ck-conf-row > .ck-field:last-child { flex: 1 1 100%; }
}
</style>
"""

MERGE_CSS = """
<style>
.ck-conflict { border: 1px solid var(--ck-critical-edge); background: var(--ck-critical-wash);
  border-radius: 8px;
  padding: 8px 12px; margin: 6px 0; }
.ck-conflict-intro { margin-bottom: 6px; }
.ck-choice { background: var(--ck-paper); border: 1px solid var(--ck-grid); border-radius: 8px;
  padding: 8px;
  margin: 6px 0; }
.ck-choice-title { font-weight: 600; margin-bottom: 4px; }
.ck-versions { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr));
  gap: 8px; }
.ck-version-box { border: 1px solid var(--ck-grid); border-radius: 6px; padding: 6px 8px;
  min-width: 0; }
.ck-theirs { border-left: 4px solid var(--ck-info); }
.ck-mine { border-left: 4px solid var(--ck-warning); }
.ck-version-head { color: var(--ck-muted); font-size: 0.88em; margin-bottom: 4px; }
.ck-version-value { white-space: pre-wrap; overflow-wrap: anywhere; }
.ck-pick { margin-top: 6px; }
.ck-notice { align-items: center; gap: 8px; padding: 6px 10px; margin: 6px 0;
  border-radius: 8px; flex-wrap: wrap; }
.ck-notice.ck-confirm { background: var(--ck-critical-wash);
  border: 1px solid var(--ck-critical-edge); }
.ck-notice.ck-removed { background: var(--ck-neutral-tint); border: 1px solid var(--ck-line); }
.ck-notice-text { flex: 1 1 240px; min-width: 0; }
.ck-version { align-items: center; gap: 8px; border-bottom: 1px solid var(--ck-neutral-tint);
  padding: 2px 0; flex-wrap: wrap; }
.ck-version-line { flex: 1 1 320px; min-width: 0; }
.ck-current { color: var(--ck-muted); }
</style>
"""
"""The conflict panel, the remove/undo notices and the history (issue 20)."""
