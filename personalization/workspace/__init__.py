"""The marketer's workspace: catalogue, drafts, approvals, schedules, rollback, audit, webhooks."""
