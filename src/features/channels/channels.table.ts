export interface ChannelsTable {
  id: string;
  tenant_id: string;
  /** Meta's id of the business phone number (routing data, not customer data). */
  phone_number_id: string;
  waba_id: string;
  /** `{appSecret, verifyToken, accessToken}` sealed under the tenant `restricted` key, bound to the row. */
  secrets_ct: Buffer;
  created_at: string;
  updated_at: string;
}
