"""English and Polish texts of the staff pages.

Venue staff in Poland often prefer Polish, while the people who deploy the app read
English; a dictionary is enough for two languages and keeps the pages free of a gettext
toolchain. The language comes from ``?lang=``, then the ``lang`` cookie, then the browser's
Accept-Language; ``?lang=`` is remembered in the cookie.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, SecurityError
from werkzeug.wrappers import Response

from worker.domain.wording import FAILURE_WORDS, HISTORY_WORDS, LANGUAGES

COOKIE = "lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "app_name": "Lockme → Google Calendar",
        "nav_setup": "Setup",
        "nav_rooms": "Rooms",
        "nav_status": "Status",
        "logout": "Log out",
        "switch_language": "Polski",
        "login_title": "Staff login",
        "password": "Password",
        "login_button": "Log in",
        "login_wrong": "Wrong password.",
        "login_wait": "Too many wrong passwords from here: try again in {seconds} s.",
        "csrf_failed": (
            "The form expired or did not come from this site. Reload the page and try again."
        ),
        "banner_title": "Calendar sync is stopped",
        "banner_parked": "{count} booking(s) are waiting and will be synced after reconnecting.",
        "reconnect": "Reconnect {provider}",
        "connections": "Connections",
        "connected_as": "Connected as {account}",
        "connected": "Connected",
        "connect": "Connect",
        "disconnect": "Disconnect",
        "disconnect_confirm": "Disconnect? Bookings will wait until you connect again.",
        "disconnected": "{provider} disconnected.",
        "paste_token": "Paste a token instead",
        "paste_token_help": (
            "The JSON of Lockme's “Custom OAuth2 Access Token” (as in the WordPress plugin), "
            "with access_token and refresh_token."
        ),
        "token_json": "Token JSON",
        "save_token": "Save token",
        "token_invalid": "That is not a Lockme token: {reason}",
        "webhook": "Webhook",
        "webhook_intro": "Lockme sends every booking change to this address:",
        "copy": "Copy",
        "copied": "Copied",
        "webhook_steps": "In the Lockme panel",
        "step_1": "Open your company profile.",
        "step_2": "Go to Integrations and click Add.",
        "step_3": "Pick the department whose rooms should be synced.",
        "step_4": "Choose the type Webhook and give it a name.",
        "step_5": "Tick Active and choose API version v2.4.",
        "step_6": "Paste the URL above and save.",
        "last_webhook": "Last message received: #{message_id} at {at}.",
        "no_webhook": "No message received yet.",
        "rooms_calendars": "Rooms and calendars",
        "rooms_intro": (
            "Choose a calendar for each room. Rooms without a choice use the primary calendar."
        ),
        "edit_rooms": "Edit rooms",
        "check": "Check connections",
        "check_intro": "Calls Lockme and Google now and shows what they answer.",
        "check_ok_lockme": "✓ Lockme answers.",
        "check_ok_google": "✓ Google answers: {count} writable calendar(s).",
        "check_bad_answer": "Unexpected answer from Lockme's test call.",
        "connect_lockme_first": "Connect Lockme first: the rooms come from Lockme.",
        "connect_google_first": "Connect Google first: the calendars come from Google.",
        "google_error": "Google did not answer: {error}",
        "room": "Room",
        "department": "Department",
        "calendar": "Calendar",
        "primary": "primary",
        "duration": "Duration (minutes)",
        "duration_default": "default: {minutes}",
        "colour": "Colour",
        "colour_none": "Calendar's colour",
        "title_template": "Event title",
        "title_help": "Placeholders: {fields}. Empty means {default}.",
        "privacy": "Privacy",
        "privacy_full": "Everything",
        "privacy_no_contact": "No contact details",
        "privacy_time_only": "Time only",
        "holds": "Unpaid holds",
        "holds_show": "Show as tentative",
        "holds_hide": "Leave out until paid",
        "holds_help": (
            "Unpaid holds: a lock.me booking not paid yet holds the slot for about 20 "
            "minutes. Shown, it is a tentative event titled “{marker}…” that turns "
            "into a normal event when paid; left out, it gets an event only once paid."
        ),
        "save": "Save",
        "routes_saved": "Saved {count} room(s).",
        "no_rooms": "Lockme lists no rooms for this account.",
        "bad_calendar": "{room}: choose one of the listed calendars.",
        "bad_duration": "{room}: the duration must be a whole number from 1 to 1440.",
        "bad_colour": "{room}: unknown colour.",
        "bad_privacy": "{room}: unknown privacy level.",
        "bad_holds": "{room}: choose whether unpaid holds are shown.",
        "bad_template": "{room}: unknown placeholder {{{field}}}.",
        "resync": "Re-sync upcoming bookings",
        "resync_intro": "Makes the calendars match Lockme's upcoming bookings again.",
        "resync_queued": (
            "Re-sync queued; it runs in the background. Its result shows on the status page."
        ),
        "oauth_failed": "Connecting failed",
        "oauth_state": (
            "This sign-in link is not valid any more (it was used already, expired or came "
            "from another browser). Start again from the setup page."
        ),
        "oauth_denied": "{provider} did not grant access: {error}",
        "oauth_exchange": "{provider} refused the sign-in: {error}",
        "missing_scopes": (
            "Google did not grant every permission this app needs. Missing: {scopes}. Connect"
            " again and leave every box ticked."
        ),
        "no_refresh_token": "Google did not return a refresh token. Connect again.",
        "connected_flash": "{provider} connected as {account}.",
        "replayed": "{count} waiting message(s) queued again.",
        "back_to_setup": "Back to setup",
        "conn_reconnect": (
            "{provider} no longer accepts the app's access (it was withdrawn or has expired)."
            " Bookings wait until you reconnect."
        ),
        "conn_down_since": "{provider} isn't answering since {time}.",
        "conn_down": "{provider} isn't answering right now.",
        "conn_waiting": "{count} booking(s) waiting, retrying by itself.",
        "conn_retrying_none": "It is checked again by itself.",
        "conn_raw": "What {provider} said",
        "under_way": "under way",
        "state_retrying": "waiting to retry",
        "state_parked": "waiting for a reconnect",
        "state_replaying": "syncing now",
        "wait_why_down": "{provider} isn't answering",
        "wait_why_reconnect": "{provider} needs reconnecting",
        "wait_why_busy": "another change to this booking is being written",
        "wait_next_at": "tried again by itself at {time}",
        "wait_next_soon": "tried again by itself",
        "wait_next_reconnect": "syncs once you press “{button}”",
        "wait_next_now": "being synced now",
        "not_read_yet": "not read from Lockme yet",
        "customer": "Customer",
        "room_n": "Room {id}",
        "service_refused": "{provider} answered with an error.",
        "step_state_done": "done",
        "step_state_todo": "to do",
        "step_state_warn": "needs attention",
        "no_limit": "no limit set",
        "live_updates": "This page updates itself.",
        "todo_reconnect": "Press “{button}” in the {provider} box below.",
        "todo_down": "{provider} isn't answering; bookings wait and are retried by themselves.",
        "status_title": "Status",
        "queue": "Queue",
        "queued": "queued",
        "started": "running",
        "scheduled": "waiting to retry",
        "failed_jobs": "failed",
        "parked": "waiting for a reconnect",
        "recent": "Last {count} syncs",
        "no_recent": "Nothing synced yet.",
        "booking": "Booking",
        "action": "Action",
        "result": "Result",
        "when": "When",
        "message": "Message",
        "failures": "Failures",
        "no_failures": "No failures.",
        "reason": "Reason",
        "attempts": "Attempts",
        "retry": "Retry",
        "retry_all": "Retry all",
        "retried": "Queued again: {ids}.",
        "nothing_to_retry": "Nothing to retry.",
        "bad_message_id": "A message number is 1 to 18 digits.",
        "per_day": "Per day (last {days} days)",
        "day": "Day",
        "failed": "Failed",
        "details": "Details",
        "times_in": "Times in {tz}.",
        "not_set_up": "Not set up yet",
        "set_up_now": "Set up on the setup page",
        "retrying": "waiting to retry",
        "maintenance": "scheduled maintenance (nightly re-sync, alert check, outage check)",
        "unknown_ids": "message ids Lockme does not know (ignored for 6 h)",
        "redis_memory": "Redis memory used / limit",
        "reconcile_title": "Re-sync with Lockme",
        "reconcile_last": "Last run: {at}.",
        "reconcile_counts": (
            "{checked} unchanged, {created} created, {updated} updated, {deleted} removed, "
            "{errors} errors"
        ),
        "reconcile_never": "Has not run yet.",
        "reconcile_next": "Next nightly run: {at}.",
        "reconcile_unscheduled": "Next run: when the worker starts.",
        "next_bad_message": (
            "Open the booking in Lockme and correct it; saving it sends a new message. Or retry "
            "after the fix."
        ),
        "next_message_gone": (
            "Nothing is lost: re-sync upcoming bookings on the rooms page to compare the calendar"
            " with Lockme."
        ),
        "next_rate_limited": "Nothing to do: it is retried automatically. Retry now if it waits.",
        "next_calendar_forbidden": (
            "Share the calendar with the connected account (Make changes to events) or choose "
            "another calendar on the rooms page, then retry."
        ),
        "next_calendar_missing": "Choose a calendar for the room on the rooms page, then retry.",
        "next_unreachable": "Check the connections on the setup page, then retry.",
        "next_unknown": (
            "Retry. If it fails again, the details below help whoever looks after the app."
        ),
        "help_bad_message": (
            "The message has a date, hour or field the app cannot turn into a calendar event, so "
            "it was recorded here with its content instead of being lost."
        ),
        "help_message_gone": (
            "The booking's change shows in failures, but Lockme no longer has its message: it "
            "was removed, or is older than Lockme keeps messages. The booking itself may "
            "still exist."
        ),
        "help_rate_limited": (
            "Bookings arrive in the calendar late during a busy moment: Google allows only so "
            "many changes a minute, and asked the app to wait."
        ),
        "help_calendar_forbidden": (
            "A room's bookings do not appear in its calendar: the Google account connected on "
            "the setup page can see that calendar but may not change it."
        ),
        "help_calendar_missing": (
            "A room's bookings do not appear in its calendar: the calendar chosen for the "
            "room was deleted, or is no longer shared with the connected account."
        ),
        "help_unreachable": (
            "A booking was tried many times over about 45 minutes and never reached the "
            "calendar, because Lockme or Google did not answer. Usually a passing outage."
        ),
        "help_unknown": (
            "The app has no plain explanation for this error yet; the raw text says more."
        ),
        "more_help": "More help",
        "next_step": "What to do:",
        "why_grant_revoked": "A connection asks to be made again",
        "help_grant_revoked": (
            "The status page says a service “no longer accepts the app's access”, and a red"
            " banner asks to reconnect. Someone removed the app's access in the Google or"
            " Lockme account, changed its password, or the access expired. New bookings are"
            " not lost: each one waits on the status page."
        ),
        "next_grant_revoked": (
            "Press “Reconnect Google” (or “Reconnect Lockme”) and allow access again with the"
            " same account. The waiting bookings then sync by themselves."
        ),
        "why_service_down": "Google or Lockme isn't answering",
        "help_service_down": (
            "The status page says a service “isn't answering since …”, and bookings show as"
            " “waiting to retry”. The service is down or slow for a while; the app keeps"
            " every booking and tries again by itself, and checks the service every 20"
            " seconds."
        ),
        "next_service_down": (
            "Nothing to do: the bookings sync by themselves within a minute of the service"
            " answering again. If it lasts more than an hour, check the service's own status"
            " page."
        ),
        "attempts_n": "{count} attempts",
        "search_label": "Reservation number or customer's name",
        "search_day": "Booking day",
        "search_room": "Room",
        "any_room": "Any room",
        "search": "Search",
        "show_all": "Show all",
        "search_results": "Syncs found",
        "no_match": "No sync in the kept history fits this search.",
        "search_names_note": "Names are found only in rooms whose privacy level shows them.",
        "operator_title": "For operators",
        "operator_help": "Technical details for whoever runs the app; staff do not need them.",
        "booked_for": "Booked for",
        "open_in_google": "Open in Google Calendar",
        "primary_calendar": "Primary calendar",
        "chart_syncs": "Syncs per day by outcome",
        "chart_latency": "Time from Lockme's message to the calendar",
        "chart_empty": "No syncs in these days",
        "chart_numbers": "The numbers",
        "answer_shapes": "The form of Lockme's answers",
        "answer_shapes_help": (
            "The form of each kind of answer Lockme has sent: status, content type, field"
            " names and value types, never the values. Kept once per endpoint and form."
        ),
        "no_answer_shapes": "No answers from Lockme yet.",
        "shape_endpoint": "Endpoint",
        "shape_answer": "Answer",
        "shape_body": "Shape",
        "median": "half of the syncs within",
        "p95": "95 of 100 syncs within",
        "group_written": "written",
        "group_nothing": "nothing to change",
        "group_waiting": "waiting",
        "group_failed": "failed",
        "nav_help": "Help",
        "help_title": "Help",
        "help_intro": (
            "Start from what you see on the status page: each entry says what it means and "
            "what to do."
        ),
        "help_apps_title": "Registering the OAuth apps",
        "help_apps": (
            "The Connect buttons on the setup page are greyed out until the app is registered "
            "with Lockme (through Lockme's partner support) and with Google (Google Cloud "
            "console). Whoever runs the app registers the redirect addresses shown on the "
            "setup page, sets the four client settings and restarts it; the guides below go "
            "step by step."
        ),
        "help_public_title": "A webhook address Lockme can reach",
        "help_public": (
            "The checklist warns about the webhook address, and new bookings never reach the "
            "app: Lockme calls the app from the internet, so its address must be public and "
            "start with https. Whoever runs the app deploys it (see the Heroku guide) or sets "
            "PUBLIC_URL to a public address. The sandbox is the exception: it runs on this "
            "computer."
        ),
        "help_docs": "Guides for whoever runs the app:",
        "guide_troubleshooting": "Troubleshooting, by what staff see",
        "guide_setup_lockme": "Registering the Lockme app and the webhook",
        "guide_setup_google": "Creating the Google OAuth client",
        "guide_deploy_heroku": "Deploying on Heroku",
        "guide_operating": "Operating it: status, replay, alerts, logs",
        "guide_blocks": "Calendar → Lockme blocks: the rules and the safety guards",
        "checklist_title": "Getting started",
        "checklist_intro": "Each step shows ✓ when done, or what to do next.",
        "step_client_ids": "OAuth apps configured",
        "todo_client_ids": (
            "Set {names} and restart. Register this redirect URI with the app: {uris}"
        ),
        "step_lockme": "Lockme connected",
        "todo_lockme": "Press Connect in the Lockme box below.",
        "step_google": "Google Calendar connected",
        "todo_google": "Press Connect in the Google box below.",
        "step_webhook": "Webhook address reachable from the internet",
        "todo_webhook_local": (
            "This address is on this computer ({host}); Lockme cannot reach it. Deploy the app or"
            " set PUBLIC_URL."
        ),
        "todo_webhook_http": "This address uses plain http; Lockme needs https. Set PUBLIC_URL.",
        "step_first_message": "First Lockme message received",
        "todo_first_message": (
            "Add the webhook in the Lockme panel (steps below), then make a test booking."
        ),
        "step_rooms": "Rooms mapped to calendars",
        "todo_rooms": "Choose a calendar for each room on the rooms page.",
        "step_test": "Calendars tested",
        "todo_test": "Press “Test calendars”: it writes and removes a test event in each calendar.",
        "test_calendars": "Test calendars",
        "test_ok": "✓ {calendar}: a test event was written and removed.",
        "test_failed": "✗ {calendar}: {error}",
        "test_needs_google": "Connect Google first.",
        "connect_disabled": "Connect is off until the OAuth app is configured.",
        "how_to": "How to",
        "redirect_uri": "Redirect URI to register",
        "colour_1": "Lavender",
        "colour_2": "Sage",
        "colour_3": "Grape",
        "colour_4": "Flamingo",
        "colour_5": "Banana",
        "colour_6": "Tangerine",
        "colour_7": "Peacock",
        "colour_8": "Graphite",
        "colour_9": "Blueberry",
        "colour_10": "Basil",
        "colour_11": "Tomato",
        "privacy_help_title": "What each privacy level puts in the calendar",
        "privacy_help_full": "Name, phone, e-mail, people, price and comment.",
        "privacy_help_no_contact": (
            "Name and number of people, without phone or e-mail (like "
            "Lockme's RODO mode). Rooms not set up yet sync at this level."
        ),
        "privacy_help_time_only": "The room and the time, no customer data at all.",
        "preview": "Preview",
        "preview_help": "The title with a sample booking (Anna Nowak, 4 people).",
        "resync_prompt": (
            "You changed the calendar of {rooms}. Bookings already synced stay in the old "
            "calendar until you re-sync."
        ),
        "error_title": "Something went wrong",
        "error_400": "The request was not understood. Go back and check what you entered.",
        "error_403": "You may not do that.",
        "error_404": "There is no page at this address.",
        "error_405": "This address does not accept that kind of request. Start from the menu.",
        "error_413": "What you sent is too large.",
        "error_429": "Too many requests. Wait a minute and try again.",
        "error_500": "The app failed. Try again; if it keeps failing, check the logs.",
        "error_other": "The request could not be completed.",
        "skip_to_content": "Skip to content",
        # --- Calendar → Lockme blocks: the status page's section, the rooms page's
        # blocks calendars, their preview and turn-off pages, history words (app/blocks.py).
        "blocks_title": "Blocks from Google Calendar",
        "blocks_weekdays": "Mon Tue Wed Thu Fri Sat Sun",
        "blocks_months": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
        "blocks_when": "{weekday} {day} {month} at {hour}",
        "blocks_conflict_titled": (
            "A customer's booking holds {room} on {when}; the staff event “{title}” covers it. "
            "The slot stays booked; it will be blocked if the booking is cancelled."
        ),
        "blocks_conflict": (
            "A customer's booking holds {room} on {when}; a staff event in {calendar} covers "
            "it. The slot stays booked; it will be blocked if the booking is cancelled."
        ),
        "blocks_conflicts_title": "Slots customers hold",
        "blocks_held": (
            "{count} blocks would be removed at once after a full re-read of the calendar. "
            "Nothing was removed."
        ),
        "blocks_held_where": "Calendar: {calendar} · for {rooms} · since {at}",
        "blocks_held_next": (
            "Look at the calendar in Google. If those events really went, remove the blocks; "
            "until then they stay in Lockme and new blocks are still made."
        ),
        "blocks_held_creates": (
            "{count} slots would be blocked at once: more than the app blocks for one event "
            "without asking ({limit} slots, or a week or more of one room). Nothing was blocked "
            "yet."
        ),
        "blocks_held_creates_next": (
            "A long event, or an invitation accepted by mistake, closes every slot it covers. "
            "If it is meant (a closure, say), block the slots; if not, change or delete the "
            "event in Google and this goes away."
        ),
        "blocks_held_confirm": "Remove {count} blocks now",
        "blocks_held_confirm_creates": "Block {count} slots now",
        "blocks_held_confirm_both": "Remove {frees} blocks and block {creates} slots now",
        "blocks_confirmed": "Done: {freed} block(s) removed, {created} slot(s) blocked.",
        "blocks_confirm_more": (
            "The rest is done in the background within minutes, without asking again."
        ),
        "blocks_confirm_failed": "It could not be done now: {error}. Try again in a minute.",
        "blocks_skipped": "Nothing was done: Google or Lockme is not connected.",
        "blocks_nothing_held": "Nothing waits for a confirmation in that room.",
        "blocks_bad_room": "A room number is 1 to 18 digits.",
        "blocks_calendars_title": "Blocks calendars",
        "blocks_calendar_rooms": "Rooms: {rooms}",
        "blocks_via_push": "Google reports each change within seconds (push).",
        "blocks_via_polling": "The app asks Google for changes every 30 seconds (polling).",
        "blocks_via_push_refused": (
            "Google refused to send changes to this app's address (it must be https), so the "
            "app asks Google for changes every 30 seconds."
        ),
        "blocks_via_reconnect": (
            "Reading this calendar is stopped until Google is reconnected (see above); its "
            "changes wait until then."
        ),
        "blocks_via_down": (
            "Google is not answering (see above): the calendar's changes are read again when "
            "it is back."
        ),
        "blocks_read_at": "Last read: {at}.",
        "blocks_never_read": "Not read yet.",
        "blocks_error_calendar_forbidden": (
            "The last read failed: the connected Google account may not read this calendar. "
            "Share it with the account, or choose another calendar on the rooms page."
        ),
        "blocks_error_calendar_missing": (
            "The last read failed: the calendar no longer exists or is not shared with the "
            "connected account any more. Choose another calendar on the rooms page."
        ),
        "blocks_error_rate_limited": (
            "The last read failed: Google asked the app to slow down. It is tried again "
            "automatically."
        ),
        "blocks_error_unreachable": (
            "The last sync failed: Google or Lockme did not answer. It is tried again "
            "automatically."
        ),
        "blocks_error_lockme": (
            "The last sync failed at Lockme: a block could not be made or removed. It is tried "
            "again automatically; if this stays, check the Lockme connection on the setup page."
        ),
        "blocks_error_unknown": (
            "The last sync failed. It is tried again automatically; the details help whoever "
            "looks after the app."
        ),
        "blocks_list_title": "Blocks in Lockme ({count})",
        "blocks_checked_at": (
            "Checked against the reservations in Lockme: {at} (once a day, and after the "
            "app's data was lost)."
        ),
        "blocks_never_checked": (
            "Not checked against the reservations in Lockme yet: that happens once a day, and "
            "at the calendar's next read after the app's data was lost."
        ),
        "blocks_day_time": "Day and time",
        "blocks_event": "Staff event",
        "blocks_untitled": "(no title)",
        "blocks_pending": "being written",
        "blocks_titles_help": ("Event titles show only for rooms whose privacy level shows names."),
        "blocks_more": "{count} more are not shown; lockme-sync status --json lists them all.",
        "blocks_none": "No blocks in Lockme yet.",
        "blocks_rooms_intro": (
            "Busy events in a room's blocks calendar close the Lockme slots they cover, so "
            "customers cannot book them. Several rooms may share one calendar. Preview first: "
            "nothing is written until you press Turn on."
        ),
        "blocks_invitations": (
            "An invitation from someone else blocks only once the calendar's owner accepts it "
            "(Yes in Google Calendar). One not answered yet, or answered Maybe, closes no slot; "
            "events the owner creates block as they are."
        ),
        "blocks_lockme_note": (
            "Do not run Lockme's own Google Calendar integration on these calendars: each "
            "would take the other's writes for the venue's, blocking slots twice, and its "
            "two-way mode can cancel customers' bookings. Turn it off in Lockme first."
        ),
        "blocks_calendar": "Blocks calendar",
        "blocks_now": "Now",
        "blocks_choose": "— choose a calendar —",
        "blocks_preview": "Preview",
        "blocks_state_on": "On, from {calendar}: {count} block(s) in Lockme.",
        "blocks_state_off": "Off",
        "blocks_unreadable": "the account cannot read it any more",
        "blocks_turn_off": "Turn off…",
        "blocks_turn_on": "Turn on",
        "blocks_preview_title": "Blocks for {room}: preview",
        "blocks_preview_intro": "What turning on blocks from {calendar} would do, read now.",
        "blocks_preview_slots": "Slots it would block ({count})",
        "blocks_preview_label": "in Lockme: “{label}”",
        "blocks_preview_none": (
            "No slot would be blocked now: no busy event in this calendar covers a free slot "
            "of this room in the next {days} days. Events added later will block."
        ),
        "blocks_preview_held": "Slots customers hold already, left alone ({count})",
        "blocks_preview_more": "… and {count} more.",
        "blocks_preview_replaces": (
            "The room takes blocks from {calendar} now; turning this calendar on removes those."
        ),
        "blocks_preview_failed": "The preview could not be read: {error}",
        "blocks_preview_already": (
            "The room takes blocks from this calendar already: the lists show only what is "
            "not blocked yet."
        ),
        "blocks_preview_nothing_written": "Nothing has been written to Lockme yet.",
        "blocks_back": "Back to rooms",
        "blocks_unknown_room": "Lockme lists no such room for this account.",
        "blocks_on_done": "Blocks on for {room} from {calendar}: syncing now.",
        "blocks_on_replaced": "Its blocks from {calendar} are being removed.",
        "blocks_off_title": "Turn off blocks for {room}?",
        "blocks_off_intro": (
            "The room stops taking blocks from {calendar}, and the {count} block(s) the app "
            "made for it are removed from Lockme, so customers can book those slots again. "
            "Customers' bookings are not touched."
        ),
        "blocks_off_confirm": "Turn off and remove {count} block(s)",
        "blocks_off_done": "Blocks off for {room}: {count} block(s) removed from Lockme.",
        "blocks_off_partly": (
            "Blocks off for {room}, but some blocks could not be removed yet ({error}); they "
            "are removed in the background."
        ),
        "blocks_already_off": "{room} takes no blocks.",
        "cancel": "Cancel",
        "blocks_help_title": "Blocks, and Lockme's own Google Calendar integration",
        "blocks_help": (
            "Use one or the other for a calendar, never both. Lockme's integration writes every "
            "reservation into Google, the app's blocks included, and in a blocks calendar those "
            "events would block their slots again; its vacation calendar makes its own "
            "reservations for the same events, so every slot would be claimed twice; and in its "
            "two-way mode deleting an event in Google deletes the booking in Lockme. To move "
            "to the app, turn Lockme's integration off first, then preview and turn on blocks "
            "on the rooms page. The guide to blocks, below, says more."
        ),
    },
    "pl": {
        "app_name": "Lockme → Kalendarz Google",
        "nav_setup": "Konfiguracja",
        "nav_rooms": "Pokoje",
        "nav_status": "Stan",
        "logout": "Wyloguj",
        "switch_language": "English",
        "login_title": "Logowanie obsługi",
        "password": "Hasło",
        "login_button": "Zaloguj",
        "login_wrong": "Złe hasło.",
        "login_wait": "Zbyt wiele błędnych haseł z tego miejsca: spróbuj ponownie za {seconds} s.",
        "csrf_failed": (
            "Formularz wygasł albo nie pochodzi z tej strony. Odśwież stronę i spróbuj ponownie."
        ),
        "banner_title": "Synchronizacja kalendarza jest wstrzymana",
        "banner_parked": "Rezerwacje czekające na synchronizację po ponownym połączeniu: {count}.",
        "reconnect": "Połącz ponownie z {provider}",
        "connections": "Połączenia",
        "connected_as": "Połączono jako {account}",
        "connected": "Połączono",
        "connect": "Połącz",
        "disconnect": "Rozłącz",
        "disconnect_confirm": "Rozłączyć? Rezerwacje poczekają do ponownego połączenia.",
        "disconnected": "Rozłączono {provider}.",
        "paste_token": "Albo wklej token",
        "paste_token_help": (
            "JSON tokenu „Custom OAuth2 Access Token” z Lockme (jak we wtyczce WordPress), z "
            "access_token i refresh_token."
        ),
        "token_json": "JSON tokenu",
        "save_token": "Zapisz token",
        "token_invalid": "To nie jest token Lockme: {reason}",
        "webhook": "Webhook",
        "webhook_intro": "Lockme wysyła każdą zmianę rezerwacji na ten adres:",
        "copy": "Kopiuj",
        "copied": "Skopiowano",
        "webhook_steps": "W panelu Lockme",
        "step_1": "Otwórz profil firmy.",
        "step_2": "Wejdź w Integracje i kliknij Dodaj.",
        "step_3": "Wybierz oddział, którego pokoje mają być synchronizowane.",
        "step_4": "Wybierz typ Webhook i nadaj mu nazwę.",
        "step_5": "Zaznacz Aktywny i wybierz wersję API v2.4.",
        "step_6": "Wklej powyższy adres i zapisz.",
        "last_webhook": "Ostatnia odebrana wiadomość: nr {message_id}, {at}.",
        "no_webhook": "Nie odebrano jeszcze żadnej wiadomości.",
        "rooms_calendars": "Pokoje i kalendarze",
        "rooms_intro": (
            "Wybierz kalendarz dla każdego pokoju. Pokoje bez wyboru trafiają do kalendarza "
            "głównego."
        ),
        "edit_rooms": "Edytuj pokoje",
        "check": "Sprawdź połączenia",
        "check_intro": "Odpytuje teraz Lockme i Google i pokazuje ich odpowiedź.",
        "check_ok_lockme": "✓ Lockme odpowiada.",
        "check_ok_google": "✓ Google odpowiada: kalendarze z prawem zapisu: {count}.",
        "check_bad_answer": "Nieoczekiwana odpowiedź na testowe zapytanie do Lockme.",
        "connect_lockme_first": "Najpierw połącz Lockme: lista pokoi pochodzi z Lockme.",
        "connect_google_first": "Najpierw połącz Google: lista kalendarzy pochodzi z Google.",
        "google_error": "Google nie odpowiada: {error}",
        "room": "Pokój",
        "department": "Oddział",
        "calendar": "Kalendarz",
        "primary": "główny",
        "duration": "Czas trwania (minuty)",
        "duration_default": "domyślnie: {minutes}",
        "colour": "Kolor",
        "colour_none": "Kolor kalendarza",
        "title_template": "Tytuł wydarzenia",
        "title_help": "Pola: {fields}. Puste oznacza {default}.",
        "privacy": "Prywatność",
        "privacy_full": "Wszystko",
        "privacy_no_contact": "Bez danych kontaktowych",
        "privacy_time_only": "Tylko godzina",
        "holds": "Nieopłacone blokady",
        "holds_show": "Pokazuj jako wstępne",
        "holds_hide": "Pomijaj do opłacenia",
        "holds_help": (
            "Nieopłacone blokady: rezerwacja z lock.me, która nie jest jeszcze opłacona, "
            "trzyma termin przez około 20 minut. Pokazana, jest wstępnym wydarzeniem "
            "„{marker}…”, które po opłaceniu staje się zwykłym; pominięta, dostaje "
            "wydarzenie dopiero po opłaceniu."
        ),
        "save": "Zapisz",
        "routes_saved": "Zapisano pokoje: {count}.",
        "no_rooms": "Lockme nie zwraca żadnych pokoi dla tego konta.",
        "bad_calendar": "{room}: wybierz jeden z kalendarzy z listy.",
        "bad_duration": "{room}: czas trwania musi być liczbą całkowitą od 1 do 1440.",
        "bad_colour": "{room}: nieznany kolor.",
        "bad_privacy": "{room}: nieznany poziom prywatności.",
        "bad_holds": "{room}: wybierz, czy pokazywać nieopłacone blokady.",
        "bad_template": "{room}: nieznane pole {{{field}}}.",
        "resync": "Zsynchronizuj nadchodzące rezerwacje",
        "resync_intro": "Ponownie uzgadnia kalendarze z nadchodzącymi rezerwacjami w Lockme.",
        "resync_queued": "Synchronizacja zlecona; działa w tle. Wynik pokaże strona stanu.",
        "oauth_failed": "Nie udało się połączyć",
        "oauth_state": (
            "Ten link logowania jest już nieważny (został użyty, wygasł albo pochodzi z innej"
            " przeglądarki). Zacznij ponownie na stronie konfiguracji."
        ),
        "oauth_denied": "{provider} nie przyznał dostępu: {error}",
        "oauth_exchange": "{provider} odrzucił logowanie: {error}",
        "missing_scopes": (
            "Google nie przyznał wszystkich potrzebnych uprawnień. Brakuje: {scopes}. Połącz "
            "ponownie i zostaw zaznaczone wszystkie pola."
        ),
        "no_refresh_token": "Google nie zwrócił tokenu odświeżania. Połącz ponownie.",
        "connected_flash": "Połączono {provider} jako {account}.",
        "replayed": "Ponownie zlecono oczekujące wiadomości: {count}.",
        "back_to_setup": "Wróć do konfiguracji",
        "conn_reconnect": (
            "{provider} nie przyjmuje już dostępu aplikacji (został cofnięty albo wygasł)."
            " Rezerwacje czekają na ponowne połączenie."
        ),
        "conn_down_since": "{provider} nie odpowiada od {time}.",
        "conn_down": "{provider} teraz nie odpowiada.",
        "conn_waiting": "Czekające rezerwacje: {count}; ponawiane automatycznie.",
        "conn_retrying_none": "Aplikacja sprawdza to sama co chwilę.",
        "conn_raw": "Co odpowiedział {provider}",
        "under_way": "w toku",
        "state_retrying": "czeka na ponowienie",
        "state_parked": "czeka na ponowne połączenie",
        "state_replaying": "synchronizuje się teraz",
        "wait_why_down": "{provider} nie odpowiada",
        "wait_why_reconnect": "trzeba ponownie połączyć {provider}",
        "wait_why_busy": "trwa zapis innej zmiany tej rezerwacji",
        "wait_next_at": "ponowienie automatycznie o {time}",
        "wait_next_soon": "ponowienie automatycznie",
        "wait_next_reconnect": "zsynchronizuje się po naciśnięciu „{button}”",
        "wait_next_now": "synchronizuje się teraz",
        "not_read_yet": "jeszcze nie odczytana z Lockme",
        "customer": "Klient",
        "room_n": "Pokój {id}",
        "service_refused": "{provider} odpowiedział błędem.",
        "step_state_done": "zrobione",
        "step_state_todo": "do zrobienia",
        "step_state_warn": "wymaga uwagi",
        "no_limit": "bez ustawionego limitu",
        "live_updates": "Ta strona odświeża się sama.",
        "todo_reconnect": "Naciśnij „{button}” w polu {provider} poniżej.",
        "todo_down": "{provider} nie odpowiada; rezerwacje czekają i ponawiają się same.",
        "status_title": "Stan",
        "queue": "Kolejka",
        "queued": "w kolejce",
        "started": "w trakcie",
        "scheduled": "czeka na ponowienie",
        "failed_jobs": "nieudane",
        "parked": "czeka na ponowne połączenie",
        "recent": "Ostatnie synchronizacje ({count})",
        "no_recent": "Nic jeszcze nie zsynchronizowano.",
        "booking": "Rezerwacja",
        "action": "Akcja",
        "result": "Wynik",
        "when": "Kiedy",
        "message": "Wiadomość",
        "failures": "Błędy",
        "no_failures": "Brak błędów.",
        "reason": "Przyczyna",
        "attempts": "Próby",
        "retry": "Ponów",
        "retry_all": "Ponów wszystkie",
        "retried": "Ponownie zlecono: {ids}.",
        "nothing_to_retry": "Nie ma czego ponawiać.",
        "bad_message_id": "Numer wiadomości to od 1 do 18 cyfr.",
        "per_day": "Dziennie (ostatnie {days} dni)",
        "day": "Dzień",
        "failed": "Nieudane",
        "details": "Szczegóły",
        "times_in": "Godziny w strefie {tz}.",
        "not_set_up": "Jeszcze nie skonfigurowano",
        "set_up_now": "Skonfiguruj na stronie konfiguracji",
        "retrying": "czeka na ponowienie",
        "maintenance": ("zaplanowana obsługa (nocna synchronizacja, sprawdzanie alertów i awarii)"),
        "unknown_ids": "numery wiadomości nieznane Lockme (pomijane przez 6 h)",
        "redis_memory": "pamięć Redis: użyta / limit",
        "reconcile_title": "Synchronizacja z Lockme",
        "reconcile_last": "Ostatnio: {at}.",
        "reconcile_counts": (
            "bez zmian {checked}, dodane {created}, zmienione {updated}, usunięte {deleted}, "
            "błędy {errors}"
        ),
        "reconcile_never": "Jeszcze się nie odbyła.",
        "reconcile_next": "Następna nocna: {at}.",
        "reconcile_unscheduled": "Następna: po uruchomieniu procesu roboczego.",
        "next_bad_message": (
            "Otwórz rezerwację w Lockme i popraw ją; zapisanie wyśle nową wiadomość. Albo ponów "
            "po poprawce."
        ),
        "next_message_gone": (
            "Nic nie ginie: zsynchronizuj nadchodzące rezerwacje na stronie pokoi, by porównać "
            "kalendarz z Lockme."
        ),
        "next_rate_limited": "Nic nie trzeba robić: ponowi się samo. Możesz ponowić od razu.",
        "next_calendar_forbidden": (
            "Udostępnij kalendarz połączonemu kontu (Wprowadzanie zmian w wydarzeniach) albo "
            "wybierz inny kalendarz na stronie pokoi, potem ponów."
        ),
        "next_calendar_missing": "Wybierz kalendarz dla pokoju na stronie pokoi, potem ponów.",
        "next_unreachable": "Sprawdź połączenia na stronie konfiguracji, potem ponów.",
        "next_unknown": (
            "Ponów. Jeśli znów się nie uda, szczegóły poniżej pomogą osobie opiekującej się "
            "aplikacją."
        ),
        "help_bad_message": (
            "Wiadomość ma datę, godzinę albo pole, których nie da się zamienić na wydarzenie, "
            "więc zapisano ją tutaj razem z treścią, zamiast ją zgubić."
        ),
        "help_message_gone": (
            "Zmiana rezerwacji jest wśród błędów, ale Lockme nie ma już jej wiadomości: "
            "została usunięta albo jest starsza, niż Lockme je przechowuje. Sama rezerwacja "
            "może nadal istnieć."
        ),
        "help_rate_limited": (
            "W ruchliwej chwili rezerwacje trafiają do kalendarza z opóźnieniem: Google "
            "pozwala na ograniczoną liczbę zmian na minutę i poprosił aplikację o chwilę "
            "przerwy."
        ),
        "help_calendar_forbidden": (
            "Rezerwacje pokoju nie pojawiają się w jego kalendarzu: konto Google połączone na "
            "stronie konfiguracji widzi ten kalendarz, ale nie może go zmieniać."
        ),
        "help_calendar_missing": (
            "Rezerwacje pokoju nie pojawiają się w jego kalendarzu: kalendarz wybrany dla "
            "pokoju został usunięty albo przestał być udostępniany połączonemu kontu."
        ),
        "help_unreachable": (
            "Rezerwację próbowano zapisać wiele razy przez około 45 minut i nie trafiła do "
            "kalendarza, bo Lockme albo Google nie odpowiadał. Zwykle to chwilowa awaria."
        ),
        "help_unknown": (
            "Aplikacja nie ma jeszcze prostego wyjaśnienia tego błędu; więcej mówi surowy tekst."
        ),
        "more_help": "Więcej pomocy",
        "next_step": "Co zrobić:",
        "why_grant_revoked": "Połączenie trzeba nawiązać ponownie",
        "help_grant_revoked": (
            "Strona stanu mówi, że usługa „nie przyjmuje już dostępu aplikacji”, a czerwony"
            " pasek prosi o ponowne połączenie. Ktoś odebrał aplikacji dostęp w koncie Google"
            " albo Lockme, zmienił hasło, albo dostęp wygasł. Nowe rezerwacje nie giną: każda"
            " czeka na stronie stanu."
        ),
        "next_grant_revoked": (
            "Naciśnij „Połącz ponownie z Google” (albo „Połącz ponownie z Lockme”) i zezwól na"
            " dostęp tym samym kontem. Czekające rezerwacje zsynchronizują się same."
        ),
        "why_service_down": "Google albo Lockme nie odpowiada",
        "help_service_down": (
            "Strona stanu mówi, że usługa „nie odpowiada od …”, a rezerwacje mają stan „czeka"
            " na ponowienie”. Usługa nie działa albo działa wolno; aplikacja przechowuje każdą"
            " rezerwację, ponawia ją sama i co 20 sekund sprawdza usługę."
        ),
        "next_service_down": (
            "Nic nie trzeba robić: rezerwacje zsynchronizują się same w ciągu minuty od"
            " powrotu usługi. Jeśli trwa to ponad godzinę, sprawdź stronę stanu tej usługi."
        ),
        "attempts_n": "prób: {count}",
        "search_label": "Numer rezerwacji albo imię i nazwisko klienta",
        "search_day": "Dzień rezerwacji",
        "search_room": "Pokój",
        "any_room": "Każdy pokój",
        "search": "Szukaj",
        "show_all": "Pokaż wszystko",
        "search_results": "Znalezione synchronizacje",
        "no_match": "Żadna synchronizacja w przechowywanej historii nie pasuje do wyszukiwania.",
        "search_names_note": (
            "Nazwiska są wyszukiwane tylko w pokojach, których poziom prywatności je pokazuje."
        ),
        "operator_title": "Dla administratora",
        "operator_help": (
            "Szczegóły techniczne dla osoby utrzymującej aplikację; obsłudze niepotrzebne."
        ),
        "booked_for": "Termin",
        "open_in_google": "Otwórz w Kalendarzu Google",
        "primary_calendar": "Kalendarz główny",
        "chart_syncs": "Synchronizacje dziennie według wyniku",
        "chart_latency": "Czas od wiadomości Lockme do kalendarza",
        "chart_empty": "Brak synchronizacji w tych dniach",
        "chart_numbers": "Liczby",
        "answer_shapes": "Postać odpowiedzi Lockme",
        "answer_shapes_help": (
            "Postać każdego rodzaju odpowiedzi Lockme: status, typ treści, nazwy pól i typy"
            " wartości, nigdy same wartości. Zapisywana raz na endpoint i postać."
        ),
        "no_answer_shapes": "Lockme jeszcze nic nie odpowiedział.",
        "shape_endpoint": "Endpoint",
        "shape_answer": "Odpowiedź",
        "shape_body": "Kształt",
        "median": "połowa synchronizacji w czasie",
        "p95": "95 na 100 synchronizacji w czasie",
        "group_written": "zapisane",
        "group_nothing": "bez zmian",
        "group_waiting": "oczekujące",
        "group_failed": "nieudane",
        "nav_help": "Pomoc",
        "help_title": "Pomoc",
        "help_intro": (
            "Zacznij od tego, co widać na stronie stanu: każdy wpis mówi, co to znaczy i co zrobić."
        ),
        "help_apps_title": "Rejestracja aplikacji OAuth",
        "help_apps": (
            "Przyciski Połącz na stronie konfiguracji są wyszarzone, dopóki aplikacja nie "
            "zostanie zarejestrowana w Lockme (przez wsparcie partnerów Lockme) i w Google "
            "(konsola Google Cloud). Osoba utrzymująca aplikację rejestruje adresy "
            "przekierowania pokazane na stronie konfiguracji, ustawia cztery ustawienia "
            "klienta i uruchamia ją ponownie; poradniki poniżej prowadzą krok po kroku."
        ),
        "help_public_title": "Adres webhooka osiągalny z internetu",
        "help_public": (
            "Lista kroków ostrzega przed adresem webhooka, a nowe rezerwacje nie docierają do "
            "aplikacji: Lockme wywołuje aplikację z internetu, więc jej adres musi być "
            "publiczny i zaczynać się od https. Osoba utrzymująca aplikację wdraża ją "
            "(poradnik Heroku) albo ustawia PUBLIC_URL na publiczny adres. Wyjątkiem jest "
            "piaskownica: działa na tym komputerze."
        ),
        "help_docs": "Poradniki dla osoby utrzymującej aplikację:",
        "guide_troubleshooting": "Rozwiązywanie problemów, według tego, co widzi obsługa",
        "guide_setup_lockme": "Rejestracja aplikacji Lockme i webhooka",
        "guide_setup_google": "Tworzenie klienta OAuth Google",
        "guide_deploy_heroku": "Wdrożenie na Heroku",
        "guide_operating": "Utrzymanie: stan, ponawianie, alerty, logi",
        "guide_blocks": "Blokady z kalendarza w Lockme: zasady i zabezpieczenia",
        "checklist_title": "Pierwsze kroki",
        "checklist_intro": "Każdy krok pokazuje ✓, gdy jest zrobiony, albo co zrobić dalej.",
        "step_client_ids": "Aplikacje OAuth skonfigurowane",
        "todo_client_ids": (
            "Ustaw {names} i uruchom ponownie. Zarejestruj w aplikacji ten adres przekierowania: "
            "{uris}"
        ),
        "step_lockme": "Lockme połączone",
        "todo_lockme": "Naciśnij Połącz w polu Lockme poniżej.",
        "step_google": "Kalendarz Google połączony",
        "todo_google": "Naciśnij Połącz w polu Google poniżej.",
        "step_webhook": "Adres webhooka osiągalny z internetu",
        "todo_webhook_local": (
            "Ten adres wskazuje na ten komputer ({host}); Lockme go nie osiągnie. Wdróż aplikację"
            " albo ustaw PUBLIC_URL."
        ),
        "todo_webhook_http": (
            "Ten adres używa zwykłego http; Lockme wymaga https. Ustaw PUBLIC_URL."
        ),
        "step_first_message": "Odebrano pierwszą wiadomość z Lockme",
        "todo_first_message": (
            "Dodaj webhook w panelu Lockme (kroki poniżej), potem zrób testową rezerwację."
        ),
        "step_rooms": "Pokoje przypisane do kalendarzy",
        "todo_rooms": "Wybierz kalendarz dla każdego pokoju na stronie pokoi.",
        "step_test": "Kalendarze sprawdzone",
        "todo_test": (
            "Naciśnij „Sprawdź kalendarze”: zapisze i usunie testowe wydarzenie w każdym "
            "kalendarzu."
        ),
        "test_calendars": "Sprawdź kalendarze",
        "test_ok": "✓ {calendar}: zapisano i usunięto testowe wydarzenie.",
        "test_failed": "✗ {calendar}: {error}",
        "test_needs_google": "Najpierw połącz Google.",
        "connect_disabled": (
            "Łączenie jest wyłączone, dopóki aplikacja OAuth nie jest skonfigurowana."
        ),
        "how_to": "Jak to zrobić",
        "redirect_uri": "Adres przekierowania do zarejestrowania",
        "colour_1": "Lawendowy",
        "colour_2": "Szałwiowy",
        "colour_3": "Winogronowy",
        "colour_4": "Flamingowy",
        "colour_5": "Bananowy",
        "colour_6": "Mandarynkowy",
        "colour_7": "Pawi",
        "colour_8": "Grafitowy",
        "colour_9": "Jagodowy",
        "colour_10": "Bazyliowy",
        "colour_11": "Pomidorowy",
        "privacy_help_title": "Co każdy poziom prywatności umieszcza w kalendarzu",
        "privacy_help_full": ("Imię i nazwisko, telefon, e-mail, liczba osób, cena i komentarz."),
        "privacy_help_no_contact": (
            "Imię i nazwisko oraz liczba osób, bez telefonu i e-maila (jak tryb RODO w "
            "Lockme). Na tym poziomie synchronizują się pokoje jeszcze nieustawione."
        ),
        "privacy_help_time_only": "Pokój i czas, bez żadnych danych klienta.",
        "preview": "Podgląd",
        "preview_help": "Tytuł z przykładową rezerwacją (Anna Nowak, 4 osoby).",
        "resync_prompt": (
            "Zmieniono kalendarz pokoi: {rooms}. Już zsynchronizowane rezerwacje zostaną w starym"
            " kalendarzu do czasu synchronizacji."
        ),
        "error_title": "Coś poszło nie tak",
        "error_400": "Nie zrozumiano żądania. Wróć i sprawdź, co zostało wpisane.",
        "error_403": "Nie możesz tego zrobić.",
        "error_404": "Pod tym adresem nie ma strony.",
        "error_405": "Ten adres nie przyjmuje takiego żądania. Zacznij od menu.",
        "error_413": "Przesłane dane są za duże.",
        "error_429": "Zbyt wiele żądań. Odczekaj minutę i spróbuj ponownie.",
        "error_500": "Aplikacja zawiodła. Spróbuj ponownie; jeśli to się powtarza, sprawdź logi.",
        "error_other": "Nie udało się wykonać żądania.",
        "skip_to_content": "Przejdź do treści",
        # --- Calendar → Lockme blocks: the status page's section, the rooms page's
        # blocks calendars, their preview and turn-off pages, history words (app/blocks.py).
        "blocks_title": "Blokady z Kalendarza Google",
        "blocks_weekdays": "pon. wt. śr. czw. pt. sob. niedz.",
        "blocks_months": "sty lut mar kwi maj cze lip sie wrz paź lis gru",
        "blocks_when": "{weekday} {day} {month}, godz. {hour}",
        "blocks_conflict_titled": (
            "Rezerwacja klienta zajmuje pokój {room} w terminie {when}; obejmuje go wydarzenie "
            "personelu „{title}”. Termin zostaje zarezerwowany; zostanie zablokowany, jeśli "
            "rezerwacja zostanie anulowana."
        ),
        "blocks_conflict": (
            "Rezerwacja klienta zajmuje pokój {room} w terminie {when}; obejmuje go wydarzenie "
            "personelu w kalendarzu {calendar}. Termin zostaje zarezerwowany; zostanie "
            "zablokowany, jeśli rezerwacja zostanie anulowana."
        ),
        "blocks_conflicts_title": "Terminy zajęte przez klientów",
        "blocks_held": (
            "Po ponownym odczycie całego kalendarza trzeba by naraz usunąć blokady "
            "(liczba: {count}). Niczego nie usunięto."
        ),
        "blocks_held_where": "Kalendarz: {calendar} · pokoje: {rooms} · od {at}",
        "blocks_held_next": (
            "Sprawdź kalendarz w Google. Jeśli te wydarzenia naprawdę zniknęły, usuń blokady; "
            "do tego czasu zostają w Lockme, a nowe blokady nadal powstają."
        ),
        "blocks_held_creates": (
            "Trzeba by naraz zablokować terminy (liczba: {count}): więcej, niż aplikacja "
            "blokuje bez pytania dla jednego wydarzenia ({limit} terminów albo tydzień lub "
            "więcej jednego pokoju). Jeszcze niczego nie zablokowano."
        ),
        "blocks_held_creates_next": (
            "Długie wydarzenie albo zaproszenie przyjęte przez pomyłkę zamyka każdy termin, "
            "który obejmuje. Jeśli tak ma być (na przykład obiekt jest zamknięty), zablokuj "
            "terminy; jeśli nie, zmień lub usuń wydarzenie w Google, a ta prośba zniknie."
        ),
        "blocks_held_confirm": "Usuń blokady ({count})",
        "blocks_held_confirm_creates": "Zablokuj terminy ({count})",
        "blocks_held_confirm_both": "Usuń blokady ({frees}) i zablokuj terminy ({creates})",
        "blocks_confirmed": "Gotowe. Usunięte blokady: {freed}, zablokowane terminy: {created}.",
        "blocks_confirm_more": (
            "Resztę aplikacja zrobi w tle w ciągu kilku minut, bez ponownego pytania."
        ),
        "blocks_confirm_failed": "Nie udało się tego teraz zrobić: {error}. Spróbuj za minutę.",
        "blocks_skipped": "Nic nie zrobiono: Google lub Lockme nie jest połączony.",
        "blocks_nothing_held": "W tym pokoju nic nie czeka na potwierdzenie.",
        "blocks_bad_room": "Numer pokoju ma od 1 do 18 cyfr.",
        "blocks_calendars_title": "Kalendarze blokad",
        "blocks_calendar_rooms": "Pokoje: {rooms}",
        "blocks_via_push": "Google zgłasza każdą zmianę w ciągu kilku sekund (push).",
        "blocks_via_polling": "Aplikacja co 30 sekund pyta Google o zmiany (odpytywanie).",
        "blocks_via_push_refused": (
            "Google odmówił wysyłania zmian na adres aplikacji (musi to być https), więc "
            "aplikacja co 30 sekund pyta Google o zmiany."
        ),
        "blocks_via_reconnect": (
            "Odczyt tego kalendarza jest wstrzymany do ponownego połączenia z Google (zob. "
            "wyżej); jego zmiany poczekają do tego czasu."
        ),
        "blocks_via_down": (
            "Google nie odpowiada (zob. wyżej): zmiany w kalendarzu zostaną odczytane, gdy "
            "znów zacznie odpowiadać."
        ),
        "blocks_read_at": "Ostatni odczyt: {at}.",
        "blocks_never_read": "Jeszcze nie odczytano.",
        "blocks_error_calendar_forbidden": (
            "Ostatni odczyt się nie udał: połączone konto Google nie może czytać tego "
            "kalendarza. Udostępnij go temu kontu albo wybierz inny kalendarz na stronie pokoi."
        ),
        "blocks_error_calendar_missing": (
            "Ostatni odczyt się nie udał: kalendarz już nie istnieje albo nie jest już "
            "udostępniony połączonemu kontu. Wybierz inny kalendarz na stronie pokoi."
        ),
        "blocks_error_rate_limited": (
            "Ostatni odczyt się nie udał: Google poprosił o wolniejsze tempo. Aplikacja "
            "spróbuje ponownie sama."
        ),
        "blocks_error_unreachable": (
            "Ostatnia synchronizacja się nie udała: Google lub Lockme nie odpowiedział. "
            "Aplikacja spróbuje ponownie sama."
        ),
        "blocks_error_lockme": (
            "Ostatnia synchronizacja nie powiodła się w Lockme: nie udało się utworzyć lub "
            "usunąć blokady. Aplikacja spróbuje ponownie sama; jeśli to trwa, sprawdź "
            "połączenie z Lockme na stronie konfiguracji."
        ),
        "blocks_error_unknown": (
            "Ostatnia synchronizacja się nie udała. Aplikacja spróbuje ponownie sama; "
            "szczegóły pomogą osobie, która opiekuje się aplikacją."
        ),
        "blocks_list_title": "Blokady w Lockme ({count})",
        "blocks_checked_at": (
            "Sprawdzono z rezerwacjami w Lockme: {at} (raz dziennie i po utracie danych aplikacji)."
        ),
        "blocks_never_checked": (
            "Jeszcze nie sprawdzono z rezerwacjami w Lockme: dzieje się to raz dziennie oraz "
            "przy najbliższym odczycie kalendarza po utracie danych aplikacji."
        ),
        "blocks_day_time": "Dzień i godzina",
        "blocks_event": "Wydarzenie personelu",
        "blocks_untitled": "(bez tytułu)",
        "blocks_pending": "w trakcie zapisu",
        "blocks_titles_help": (
            "Tytuły wydarzeń widać tylko w pokojach, których poziom prywatności pokazuje nazwiska."
        ),
        "blocks_more": (
            "Nie pokazano kolejnych: {count}; wszystkie wypisuje lockme-sync status --json."
        ),
        "blocks_none": "Brak blokad w Lockme.",
        "blocks_rooms_intro": (
            "Zajęte wydarzenia w kalendarzu blokad pokoju zamykają terminy w Lockme, które "
            "obejmują, więc klienci nie mogą ich zarezerwować. Kilka pokoi może mieć wspólny "
            "kalendarz. Najpierw podgląd: nic nie jest zapisywane, dopóki nie klikniesz Włącz."
        ),
        "blocks_invitations": (
            "Zaproszenie od kogoś innego blokuje dopiero wtedy, gdy właściciel kalendarza je "
            "przyjmie (Tak w Kalendarzu Google). Zaproszenie bez odpowiedzi albo z odpowiedzią "
            "Może nie zamyka żadnego terminu; wydarzenia utworzone przez właściciela blokują "
            "od razu."
        ),
        "blocks_lockme_note": (
            "Nie używaj na tych kalendarzach własnej integracji Lockme z Kalendarzem Google: "
            "każda brałaby zapisy drugiej za zapisy obiektu i blokowała terminy podwójnie, a jej "
            "tryb dwukierunkowy może anulować rezerwacje klientów. Najpierw wyłącz ją w Lockme."
        ),
        "blocks_calendar": "Kalendarz blokad",
        "blocks_now": "Teraz",
        "blocks_choose": "— wybierz kalendarz —",
        "blocks_preview": "Podgląd",
        "blocks_state_on": "Włączone, z kalendarza {calendar}. Blokady w Lockme: {count}.",
        "blocks_state_off": "Wyłączone",
        "blocks_unreadable": "konto nie może go już czytać",
        "blocks_turn_off": "Wyłącz…",
        "blocks_turn_on": "Włącz",
        "blocks_preview_title": "Blokady dla pokoju {room}: podgląd",
        "blocks_preview_intro": (
            "Co zrobiłoby teraz włączenie blokad z kalendarza {calendar} (odczytane przed chwilą)."
        ),
        "blocks_preview_slots": "Terminy do zablokowania ({count})",
        "blocks_preview_label": "w Lockme: „{label}”",
        "blocks_preview_none": (
            "Teraz nic nie zostałoby zablokowane: żadne zajęte wydarzenie w tym kalendarzu nie "
            "obejmuje wolnego terminu tego pokoju w ciągu {days} dni. Wydarzenia dodane później "
            "będą blokować."
        ),
        "blocks_preview_held": "Terminy już zajęte przez klientów, bez zmian ({count})",
        "blocks_preview_more": "… i kolejne: {count}.",
        "blocks_preview_replaces": (
            "Pokój bierze teraz blokady z kalendarza {calendar}; włączenie tego kalendarza je "
            "usunie."
        ),
        "blocks_preview_failed": "Nie udało się odczytać podglądu: {error}",
        "blocks_preview_already": (
            "Pokój już bierze blokady z tego kalendarza: listy pokazują tylko to, czego "
            "jeszcze nie zablokowano."
        ),
        "blocks_preview_nothing_written": "Do Lockme nic jeszcze nie zapisano.",
        "blocks_back": "Wróć do pokoi",
        "blocks_unknown_room": "Lockme nie ma takiego pokoju na tym koncie.",
        "blocks_on_done": (
            "Włączono blokady dla pokoju {room} z kalendarza {calendar}; trwa synchronizacja."
        ),
        "blocks_on_replaced": "Blokady z kalendarza {calendar} są usuwane.",
        "blocks_off_title": "Wyłączyć blokady dla pokoju {room}?",
        "blocks_off_intro": (
            "Pokój przestanie brać blokady z kalendarza {calendar}, a blokady utworzone dla "
            "niego przez aplikację zostaną usunięte z Lockme (liczba: {count}), więc klienci "
            "znów będą mogli rezerwować te terminy. Rezerwacje klientów pozostaną bez zmian."
        ),
        "blocks_off_confirm": "Wyłącz i usuń blokady ({count})",
        "blocks_off_done": "Wyłączono blokady dla pokoju {room}. Usunięte z Lockme: {count}.",
        "blocks_off_partly": (
            "Wyłączono blokady dla pokoju {room}, ale części nie udało się jeszcze usunąć "
            "({error}); zostaną usunięte w tle."
        ),
        "blocks_already_off": "Pokój {room} nie bierze blokad.",
        "cancel": "Anuluj",
        "blocks_help_title": "Blokady a własna integracja Lockme z Kalendarzem Google",
        "blocks_help": (
            "Dla jednego kalendarza używaj jednego albo drugiego, nigdy obu. Integracja Lockme "
            "zapisuje w Google każdą rezerwację, także blokady aplikacji, a w kalendarzu blokad "
            "te wydarzenia znów blokowałyby swoje terminy; jej kalendarz urlopowy tworzy własne "
            "rezerwacje dla tych samych wydarzeń, więc każdy termin byłby zajęty dwa razy; a w "
            "trybie dwukierunkowym usunięcie wydarzenia w Google usuwa rezerwację w Lockme. "
            "Aby przejść na aplikację, najpierw wyłącz integrację Lockme, potem na stronie "
            "pokoi obejrzyj podgląd i włącz blokady. Więcej w przewodniku o blokadach poniżej."
        ),
    },
}

# History's and failures' words are the terminal's too, so they live with the worker.
for _language in LANGUAGES:
    MESSAGES[_language].update(HISTORY_WORDS[_language], **FAILURE_WORDS[_language])


def language() -> str:
    """The request's language, decided once per request."""
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get(COOKIE)
        g.lang = (
            asked if asked in LANGUAGES else request.accept_languages.best_match(LANGUAGES, "en")
        )
    return g.lang


def t(key: str, **values: object) -> str:
    """The text for ``key`` in the request's language, with ``{name}`` values filled in."""
    text = MESSAGES[language()].get(key) or MESSAGES["en"][key]
    return text.format(**values) if values else text


def t_known(key: str, fallback: str) -> str:
    """``t(key)`` for a key built from data (an action, a result), else ``fallback``."""
    return t(key) if key in MESSAGES["en"] else fallback


bp = Blueprint("i18n", __name__)


@bp.app_context_processor
def _i18n_context() -> dict[str, object]:
    return {"t": t, "lang": language(), "switch_language_url": switch_language_url}


def switch_language_url() -> str:
    """This page in the other language, as a GET that exists.

    A page shown in answer to a POST (a form with errors, the connection check) has a URL
    that only takes POST; a plain link to it would meet 405. Then the link goes to the page
    a GET of the same path shows, or to the setup page when the path has no GET at all.
    """
    other = "en" if language() == "pl" else "pl"
    path = request.path
    if request.method != "GET":
        try:
            current_app.create_url_adapter(request).match(path, method="GET")  # type: ignore[union-attr]
        except (MethodNotAllowed, NotFound):
            path = url_for("setup.page")
    return f"{path}?lang={other}"


@bp.app_errorhandler(HTTPException)
def _error_page(error: HTTPException) -> Response | tuple[str, int]:
    """Error pages in the page's language; redirects, machine endpoints and a request with
    no URL adapter (an untrusted Host: no URL can be built) keep werkzeug's answer."""
    machine = request.path.startswith(("/webhooks", "/healthz", "/metrics"))
    untrusted_host = isinstance(request.routing_exception, SecurityError)
    if error.code is None or error.code < 400 or machine or untrusted_host:
        return error.get_response()
    key = f"error_{error.code}"
    if error.description != type(error).description:
        text = str(error.description)  # a message written for staff, already translated
    else:
        text = t(key) if key in MESSAGES["en"] else t("error_other")
    return render_template("error.html", code=error.code, text=text), error.code


@bp.after_app_request
def _remember_choice(response: Response) -> Response:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE_S, samesite="Lax", httponly=True)
    return response
