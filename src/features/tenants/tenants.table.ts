export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  /** R in the blind-index sizing rule: the number of contacts this tenant expects to hold. */
  expected_contacts: number;
  phone_full_bits: number;
  phone_last4_bits: number;
  email_bits: number;
  created_at: string;
}
