"use client";

import { useState } from "react";
import type { ChannelSummary } from "@/lib/alerts/channels";
import type { RuleSummary } from "@/lib/alerts/rules";
import { ChannelsPanel } from "./channels-panel";
import { FailingChannelsBanner } from "./failing-banner";
import { RulesPanel } from "./rules-panel";

/** Settings → Alerts: channels and rules share the channel list (rules pick from it). */
export function AlertsSettings(props: { channels: ChannelSummary[]; rules: RuleSummary[]; tz: string; smtpConfigured: boolean }) {
  const [channels, setChannels] = useState(props.channels);
  return (
    <>
      <FailingChannelsBanner channels={channels} />
      <ChannelsPanel channels={channels} onChange={setChannels} tz={props.tz} smtpConfigured={props.smtpConfigured} />
      <RulesPanel rules={props.rules} channels={channels} tz={props.tz} />
    </>
  );
}
