package workflow

import (
	"encoding/hex"
	"strings"
)

// authenticatorNames names a few well-known authenticator models by their
// AAGUID, for the console. Taken from the FIDO Alliance Metadata Service
// (MDS3) entries and the community list of passkey provider AAGUIDs
// (passkeydeveloper/passkey-authenticator-aaguids); only a handful: an
// unknown AAGUID is simply not named.
var authenticatorNames = map[string]string{
	"cb69481e-8ff7-4039-93ec-0a2729a154a8": "YubiKey 5 Series",
	"ee882879-721c-4913-9775-3dfcce97072a": "YubiKey 5 Series",
	"fa2b99dc-9e39-4257-8f92-4a30d23c4118": "YubiKey 5 Series with NFC",
	"c5ef55ff-ad9a-4b9f-b580-adebafe026d0": "YubiKey 5Ci",
	"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "Google Password Manager",
	"adce0002-35bc-c60a-648b-0b25f1f05503": "Chrome on Mac",
	"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": "iCloud Keychain",
	"dd4ec289-e01d-41c9-bb89-70fa845d4bf2": "iCloud Keychain (Managed)",
	"08987058-cadc-4b81-b6e1-30de50dcbe96": "Windows Hello",
	"9ddd1817-af5a-4672-a2b9-3e3dd95000a9": "Windows Hello",
	"6028b017-b1d4-4c02-b4b3-afcdafc96bb2": "Windows Hello",
	"bada5566-a7aa-401f-bd96-45619a55120d": "1Password",
	"d548826e-79b4-db40-a3d8-11116f7e8349": "Bitwarden",
}

// AAGUIDString writes an AAGUID as a UUID; "" when there is none (or it is
// all zeros, as "none" attestation often gives).
func AAGUIDString(aaguid []byte) string {
	if len(aaguid) != 16 || strings.Trim(hex.EncodeToString(aaguid), "0") == "" {
		return ""
	}
	h := hex.EncodeToString(aaguid)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// AuthenticatorName is the model of the authenticator with aaguid, when it
// is one the product knows; "" otherwise.
func AuthenticatorName(aaguid []byte) string { return authenticatorNames[AAGUIDString(aaguid)] }
