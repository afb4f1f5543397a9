import Testing

@testable import SpringCore

@Test("STATUS's Spool extension shows refused events held and discarded once there are any, after the fields it always had")
func spoolStatusFieldRefusals() {
    let quiet = SpoolStatusField(depth: 0, dropped: 0, expired: 0, oldestAge: nil)
    #expect(quiet.json.text == #"{"Depth":0,"Dropped":0,"Expired":0}"#)
    let refusing = SpoolStatusField(depth: 1, dropped: 0, expired: 0, oldestAge: 2.04, refused: 3, discarded: 1)
    #expect(refusing.json.text == #"{"Depth":1,"Dropped":0,"Expired":0,"OldestAge":2.0,"Refused":3,"Discarded":1}"#)
}
