/** What a peer library's adapter reports: encrypt throughput and bytes added per value. */
export interface PeerResult {
  readonly opsPerSecond: number;
  readonly overheadBytes: number;
}
