// Approver user groups resolved through Slack (usergroups.users.list), cached briefly: membership rarely
// changes and the approval path should not spend a Tier-2 call on every click.
import type { WebClient } from '@slack/web-api';
import type { ApproverDirectory } from '../core/ports.js';

export class SlackApproverDirectory implements ApproverDirectory {
  private readonly cache = new Map<string, { members: string[]; until: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly cacheMs = 60_000,
  ) {}

  async membersOf(groupId: string): Promise<string[]> {
    const cached = this.cache.get(groupId);
    if (cached && cached.until > Date.now()) return cached.members;
    const result = await this.client.usergroups.users.list({ usergroup: groupId });
    const members = result.users ?? [];
    this.cache.set(groupId, { members, until: Date.now() + this.cacheMs });
    return members;
  }
}
