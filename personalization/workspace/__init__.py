"""The marketer's workspace: attribute catalogue, drafts and change sets, approvals, schedules,
rollback, the audit log and publish webhooks."""
