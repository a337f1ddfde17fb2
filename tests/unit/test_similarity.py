"""Duplicate detection and themes for feedback (bot.similarity): a labelled corpus."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from bot.similarity import (
    DUPLICATE_THRESHOLD,
    Candidate,
    Match,
    Theme,
    find_duplicates,
    group_themes,
    normalize,
)

# --- the labelled corpus ------------------------------------------------------------------

# Same request or same bug, said differently: the bot should offer the merge.
DUPLICATES: list[tuple[str, str]] = [
    ("CSV export times out on large accounts", "Exporting to CSV fails with a timeout for big customers"),
    ("CSV export times out on large accounts", "csv exports time out"),
    ("Exporting to CSV fails with a timeout for big customers", "csv exports time out"),
    ("Dark mode please", "Please add a dark theme"),
    ("Can't log in with SSO", "SSO login is broken"),
    ("Mobile app crashes on startup", "The iOS app keeps crashing on launch"),
    ("Add Slack notifications for new comments", "Notify us in Slack when someone comments"),
    ("Slack integration keeps disconnecting", "The Slack integration gets disconnected every few days"),
    ("Dashboard loads slowly", "The dashboard is really slow to load"),
    ("Search doesn't find archived projects", "Archived projects don't show up in search results"),
    ("Allow bulk editing of tasks", "Bulk edit for multiple tasks at once"),
    ("Password reset email never arrives", "I don't receive the reset password email"),
    ("Add two-factor authentication", "Support 2FA / MFA for our accounts"),
    ("Export reports to PDF", "PDF export for reports"),
    ("Google Calendar sync is broken", "Syncing with Google Calendar stopped working"),
    ("Give admins an audit log", "We need an audit log of admin actions"),
    ("Keyboard shortcuts for navigation", "Please add keyboard shortcuts to navigate faster"),
    ("Invoices show the wrong currency", "Currency on invoices is incorrect"),
    ("Android app freezes when uploading photos", "Uploading pictures freezes the Android app"),
    ("Webhook retries are missing", "Failed webhooks are not retried"),
    ("Let us filter the feedback list by team", "Filter feedback by team"),
    ("Notifications are sent twice", "We get duplicate notifications for every comment"),
    ("Support SAML single sign-on", "We need SSO via SAML"),
    ("Make the sidebar collapsible", "Option to collapse the sidebar"),
    ("Typo on the login page", "Spelling mistake on the sign-in page"),
    (
        "When I export our monthly report as CSV for the Acme workspace it spins for a minute "
        "and then times out",
        "CSV export times out on large accounts",
    ),
    ("Dark mode for the mobile app", "Night theme on iOS and Android"),
    ("Can't upload files larger than 10MB", "File upload fails for big files"),
    ("Session expires too quickly", "I get logged out every few minutes"),
    ("Recurring tasks", "Let tasks repeat every week"),
]

# Related but different: they share words, the bot must NOT offer a merge.
NOT_DUPLICATES: list[tuple[str, str]] = [
    ("CSV export times out", "Export button has the wrong color"),
    ("Dark mode for the dashboard", "Dashboard loads slowly"),
    # Borderline by design: both are about the login page, but a typo is not an SSO outage.
    ("Login page typo", "SSO login is broken"),
    ("Add Slack notifications", "Slack integration disconnects"),
    ("CSV export times out on large accounts", "CSV import fails on large files"),
    ("Mobile app crashes on startup", "Mobile app needs dark mode"),
    ("Search doesn't find archived projects", "Archive projects in bulk"),
    ("Export reports to PDF", "Export reports to Excel"),
    ("Password reset email never arrives", "Welcome email has a broken link"),
    ("Google Calendar sync is broken", "Add Outlook calendar sync"),
    ("Notifications are sent twice", "Turn off email notifications"),
    ("Android app freezes when uploading photos", "Android app login is slow"),
    ("Filter feedback by team", "Export feedback by team"),
    ("Allow bulk editing of tasks", "Tasks disappear after editing"),
    ("Invoices show the wrong currency", "Invoices should be downloadable as PDF"),
    ("Keyboard shortcuts for navigation", "Navigation menu is confusing"),
    ("Give admins an audit log", "Admins can't remove users"),
    ("Webhook retries are missing", "Add a webhook for new comments"),
    ("Slack notifications for new comments", "Email notifications for new comments"),
    ("Session expires too quickly", "Session recordings for support"),
    ("SSO login is broken", "Add SSO for Okta"),
    ("Dashboard loads slowly", "Dashboard widgets can't be resized"),
    ("Dark mode please", "Dark text is hard to read on the blue banner"),
    ("Mobile app crashes on startup", "Web app crashes when printing"),
    ("Make the sidebar collapsible", "Sidebar icons are blurry"),
    ("Can't upload files larger than 10MB", "File names get truncated"),
    ("CSV export times out on large accounts", "Large accounts see the wrong totals"),
    ("Add two-factor authentication", "Two-factor codes arrive late by SMS"),
    ("Let us filter the feedback list by team", "Let us sort the feedback list by votes"),
    ("Slack integration keeps disconnecting", "Microsoft Teams integration keeps disconnecting"),
]

# A background sample of one team's recent feedback, for document frequencies.
BACKGROUND: list[str] = [
    "Export to Excel with formatting",
    "CSV export misses the custom fields",
    "Scheduled exports by email every Monday",
    "Export button is hidden on small screens",
    "Import users from a CSV file",
    "Dashboard should remember my filters",
    "Dashboard charts are hard to read",
    "Share a dashboard with a public link",
    "Dashboard widget for open bugs",
    "Login with Google",
    "Login redirects to a blank page in Safari",
    "Remember me checkbox on the login page",
    "SSO with Azure AD",
    "Slack app posts to the wrong channel",
    "Slack message formatting is broken for long text",
    "Daily digest in Slack",
    "Microsoft Teams integration",
    "Jira integration creates duplicate tickets",
    "Zapier integration",
    "Mobile app needs offline mode",
    "Mobile app should support push notifications",
    "Tablet layout is cramped",
    "iOS widget for today's tasks",
    "App is slow on older Android phones",
    "Email notifications are too noisy",
    "Notification settings per project",
    "Weekly summary email",
    "Mute notifications on weekends",
    "Tasks need due dates and reminders",
    "Subtasks for tasks",
    "Assign a task to several people",
    "Task comments support markdown",
    "Drag and drop to reorder tasks",
    "Kanban board view",
    "Gantt chart for projects",
    "Project templates",
    "Archive old projects automatically",
    "Duplicate a project with its tasks",
    "Project permissions per team",
    "Guest access for contractors",
    "Roles and permissions for admins",
    "Remove a user from the workspace",
    "Billing page shows the wrong plan",
    "Pay by invoice instead of credit card",
    "Annual plan discount",
    "VAT number on invoices",
    "Invoice download fails",
    "Time tracking on tasks",
    "Timesheet export for payroll",
    "Search is slow with many projects",
    "Search by tag",
    "Saved searches",
    "Global search shortcut",
    "API rate limits are too strict",
    "Public API for feedback",
    "API docs are outdated",
    "Webhook payload misses the author",
    "Custom fields on feedback",
    "Tag feedback automatically",
    "Merge duplicate feedback",
    "Vote on feedback from Slack",
    "Feedback portal for customers",
    "Roadmap view for stakeholders",
    "Comment threads get cut off",
    "Mention people in comments",
    "Edit comments after posting",
    "Attachments in comments",
    "Upload images by pasting",
    "File previews for PDFs",
    "Storage limit is too low",
    "Calendar view of due dates",
    "Sync tasks to Outlook",
    "Timezone is wrong in reminders",
    "Reminders fire twice",
    "Onboarding checklist for new admins",
    "Product tour is too long",
    "Keyboard navigation in the board",
    "Accessibility: screen reader labels missing",
    "High contrast theme",
    "Font size setting",
    "Localization into German",
    "Japanese translation has mistakes",
    "Right-to-left layout for Arabic",
    "Page titles are truncated",
    "Sidebar should show favourites",
    "Collapse all comments",
    "Bulk archive feedback",
    "Bulk delete old tasks",
    "Undo for deleted tasks",
    "Activity log per project",
    "Audit trail export",
    "Data retention settings",
    "GDPR data export",
    "Two-factor authentication for admins only",
    "Password rules are too strict",
    "Reset password link expires too fast",
    "Session timeout setting for admins",
    "Performance is bad on Firefox",
    "Page freezes when pasting a long text",
    "Printing a board cuts off columns",
]


def score(a: str, b: str) -> float:
    """The score of b as a candidate for a, with the background; 0 when nothing scores."""
    found = find_duplicates(a, [Candidate(1, 1, b)], background=BACKGROUND, threshold=0.0)
    return found[0].score if found else 0.0


def test_corpus_size() -> None:
    assert len(DUPLICATES) >= 20 and len(NOT_DUPLICATES) >= 20


@pytest.mark.parametrize(("a", "b"), NOT_DUPLICATES)
def test_related_but_different_stays_below_threshold(a: str, b: str) -> None:
    assert score(a, b) < DUPLICATE_THRESHOLD
    assert score(b, a) < DUPLICATE_THRESHOLD


def test_recall_on_paraphrases() -> None:
    found = [pair for pair in DUPLICATES if score(*pair) >= DUPLICATE_THRESHOLD]
    recall = len(found) / len(DUPLICATES)
    assert recall >= 0.85, [pair for pair in DUPLICATES if pair not in found]
