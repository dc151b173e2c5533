@testable import SwisorCore

// Real TZif files, embedded so that the tests do not depend on the machine's tzdata.
// Taken from /usr/share/zoneinfo of Debian 12's tzdata 2025b (version 2, "fat": 32-bit
// block, 64-bit block with transitions to 2037, footer rule), as `base64 -w 76`.
enum TimeZoneFixtures {
    static let berlinBase64 = """
        VFppZjIAAAAAAAAAAAAAAAAAAAAAAAAJAAAACQAAAAAAAACPAAAACQAAABKAAAAAmwwXYJvV2vCc
        2a6QnaS1kJ65kJCfhJeQyAlxkMznSxDNqReQzqJDEM+SNBDQgiUQ0XIWENG2lgDSWL6A0qFPENNj
        G5DUSyOQ1TnRINVn55DVqHMA1im0ENcsGhDYCZYQ2QLBkNnpeBATTUQQFDP6kBUj65AWE9yQFwPN
        kBfzvpAY46+QGdOgkBrDkZAbvL0QHKyuEB2cnxAejJAQH3yBECBschAhXGMQIkxUECM8RRAkLDYQ
        JRwnECYMGBAnBUOQJ/U0kCjlJZAp1RaQKsUHkCu0+JAspOmQLZTakC6Ey5AvdLyQMGStkDFd2RAy
        crQQMz27EDRSlhA1HZ0QNjJ4EDb9fxA4G5SQON1hEDn7dpA6vUMQO9tYkDymX5A9uzqQPoZBkD+b
        HJBAZiOQQYQ5EEJGBZBDZBsQRCXnkEVD/RBGBcmQRyPfEEfu5hBJA8EQSc7IEErjoxBLrqoQTMy/
        kE2OjBBOrKGQT25uEFCMg5BRV4qQUmxlkFM3bJBUTEeQVRdOkFYsKZBW9zCQWBVGEFjXEpBZ9SgQ
        Wrb0kFvVChBcoBEQXbTsEF5/8xBflM4QYF/VEGF96pBiP7cQY13MkGQfmRBlPa6QZgi1kGcdkJBn
        6JeQaP1ykGnIeZBq3VSQa6hbkGzGcRBtiD2QbqZTEG9oH5BwhjUQcVE8EHJmFxBzMR4QdEX5EHUR
        ABB2LxWQdvDiEHgO95B40MQQee7ZkHqwphB7zruQfJnCkH2unZB+eaSQf45/kAIBAgMEAwQDBAME
        AwQDBQEEAwQDBgEEAwQDBAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgH
        CAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcI
        BwgHCAcIBwgHCAcIBwgHCAcIAAAMiAAAAAAcIAEEAAAOEAAJAAAcIAEEAAAOEAAJAAAqMAENAAAq
        MAENAAAcIAEEAAAOEAAJTE1UAENFU1QAQ0VUAENFTVQAAAAAAQEAAQEBAAAAAAAAAAEBVFppZjIA
        AAAAAAAAAAAAAAAAAAAAAAAJAAAACQAAAAAAAACPAAAACQAAABL/////b6Jh+P////+bDBdg////
        /5vV2vD/////nNmukP////+dpLWQ/////565kJD/////n4SXkP/////ICXGQ/////8znSxD/////
        zakXkP/////OokMQ/////8+SNBD/////0IIlEP/////RchYQ/////9G2lgD/////0li+gP/////S
        oU8Q/////9NjG5D/////1EsjkP/////VOdEg/////9Vn55D/////1ahzAP/////WKbQQ/////9cs
        GhD/////2AmWEP/////ZAsGQ/////9npeBAAAAAAE01EEAAAAAAUM/qQAAAAABUj65AAAAAAFhPc
        kAAAAAAXA82QAAAAABfzvpAAAAAAGOOvkAAAAAAZ06CQAAAAABrDkZAAAAAAG7y9EAAAAAAcrK4Q
        AAAAAB2cnxAAAAAAHoyQEAAAAAAffIEQAAAAACBschAAAAAAIVxjEAAAAAAiTFQQAAAAACM8RRAA
        AAAAJCw2EAAAAAAlHCcQAAAAACYMGBAAAAAAJwVDkAAAAAAn9TSQAAAAACjlJZAAAAAAKdUWkAAA
        AAAqxQeQAAAAACu0+JAAAAAALKTpkAAAAAAtlNqQAAAAAC6Ey5AAAAAAL3S8kAAAAAAwZK2QAAAA
        ADFd2RAAAAAAMnK0EAAAAAAzPbsQAAAAADRSlhAAAAAANR2dEAAAAAA2MngQAAAAADb9fxAAAAAA
        OBuUkAAAAAA43WEQAAAAADn7dpAAAAAAOr1DEAAAAAA721iQAAAAADymX5AAAAAAPbs6kAAAAAA+
        hkGQAAAAAD+bHJAAAAAAQGYjkAAAAABBhDkQAAAAAEJGBZAAAAAAQ2QbEAAAAABEJeeQAAAAAEVD
        /RAAAAAARgXJkAAAAABHI98QAAAAAEfu5hAAAAAASQPBEAAAAABJzsgQAAAAAErjoxAAAAAAS66q
        EAAAAABMzL+QAAAAAE2OjBAAAAAATqyhkAAAAABPbm4QAAAAAFCMg5AAAAAAUVeKkAAAAABSbGWQ
        AAAAAFM3bJAAAAAAVExHkAAAAABVF06QAAAAAFYsKZAAAAAAVvcwkAAAAABYFUYQAAAAAFjXEpAA
        AAAAWfUoEAAAAABatvSQAAAAAFvVChAAAAAAXKAREAAAAABdtOwQAAAAAF5/8xAAAAAAX5TOEAAA
        AABgX9UQAAAAAGF96pAAAAAAYj+3EAAAAABjXcyQAAAAAGQfmRAAAAAAZT2ukAAAAABmCLWQAAAA
        AGcdkJAAAAAAZ+iXkAAAAABo/XKQAAAAAGnIeZAAAAAAat1UkAAAAABrqFuQAAAAAGzGcRAAAAAA
        bYg9kAAAAABuplMQAAAAAG9oH5AAAAAAcIY1EAAAAABxUTwQAAAAAHJmFxAAAAAAczEeEAAAAAB0
        RfkQAAAAAHURABAAAAAAdi8VkAAAAAB28OIQAAAAAHgO95AAAAAAeNDEEAAAAAB57tmQAAAAAHqw
        phAAAAAAe867kAAAAAB8mcKQAAAAAH2unZAAAAAAfnmkkAAAAAB/jn+QAgECAwQDBAMEAwQDBAMF
        AQQDBAMGAQQDBAMEBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgH
        CAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcIBwgHCAcI
        BwgHCAcIBwgHCAcIBwgAAAyIAAAAABwgAQQAAA4QAAkAABwgAQQAAA4QAAkAACowAQ0AACowAQ0A
        ABwgAQQAAA4QAAlMTVQAQ0VTVABDRVQAQ0VNVAAAAAABAQABAQEAAAAAAAAAAQEKQ0VULTFDRVNU
        LE0zLjUuMCxNMTAuNS4wLzMK
        """

    static let newYorkBase64 = """
        VFppZjIAAAAAAAAAAAAAAAAAAAAAAAAGAAAABgAAAAAAAADsAAAABgAAABSAAAAAnqYecJ+662Cg
        hgBwoZrNYKJl4nCjg+ngpGqucKU1p2CmU8rwpxWJYKgzrPCo/qXgqhOO8Kreh+Cr83DwrL5p4K3T
        UvCunkvgr7M08LB+LeCxnFFwsmdKYLN8M3C0RyxgtVwVcLYnDmC3O/dwuAbwYLkb2XC55tJguwT1
        8LvGtGC85Nfwva/Q4L7EufC/j7LgwKSb8MFvlODChH3ww0924MRkX/DFL1jgxk18cMcPOuDILV5w
        yPhXYMoNQHDK2Dlgy4jwcNIj9HDSYPvg03Xk8NRA3eDVVcbw1iC/4Nc1qPDYAKHg2RWK8Nngg+Da
        /qdw28Bl4NzeiXDdqYJg3r5rcN+JZGDgnk1w4WlGYOJ+L3DjSShg5F4RcOVXLuDmRy3w5zcQ4Ogn
        D/DpFvLg6gbx8Or21ODr5tPw7Na24O3GtfDuv9Ng76/ScPCftWDxj7Rw8n+XYPNvlnD0X3lg9U94
        cPY/W2D3L1pw+Ch34PkPPHD6CFng+vhY8PvoO+D82Drw/cgd4P64HPD/p//gAJf+8AGH4eACd+Dw
        A3D+YARg/XAFUOBgBkDfcAcwwmAHjRlwCRCkYAmtlPAK8IZgC+CFcAzZouANwGdwDrmE4A+pg/AQ
        mWbgEYll8BJ5SOATaUfwFFkq4BVJKfAWOQzgFykL8BgiKWAZCO3wGgILYBryCnAb4e1gHNHscB3B
        z2Aesc5wH6GxYCB2APAhgZNgIlXi8CNqr+AkNcTwJUqR4CYVpvAnKnPgJ/7DcCkKVeAp3qVwKuo3
        4Cu+h3As01RgLZ5pcC6zNmAvfktwMJMYYDFnZ/AycvpgM0dJ8DRS3GA1JyvwNjK+YDcHDfA4G9rg
        OObv8Dn7vOA6xtHwO9ue4Dyv7nA9u4DgPo/QcD+bYuBAb7JwQYR/YEJPlHBDZGFgRC92cEVEQ2BF
        86jwRy1f4EfTivBJDUHgSbNs8ErtI+BLnIlwTNZAYE18a3BOtiJgT1xNcFCWBGBRPC9wUnXmYFMc
        EXBUVchgVPvzcFY1qmBW5Q/wWB7G4FjE8fBZ/qjgWqTT8FveiuBchLXwXb5s4F5kl/Bfnk7gYE20
        cGGHa2BiLZZwY2dNYGQNeHBlRy9gZe1acGcnEWBnzTxwaQbzYGmtHnBq5tVga5Y68GzP8eBtdhzw
        bq/T4G9V/vBwj7XgcTXg8HJvl+BzFcLwdE954HT+33B2OJZgdt7BcHgYeGB4vqNwefhaYHqehXB7
        2DxgfH5ncH24HmB+Xklwf5gAYAMBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIB
        AgECAQIBAgECAQIEBQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIB
        AgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgEC
        AQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIB
        AgECAQIBAgECAQIBAgECAQIBAgECAQIBAgEC//+6ngAA///HwAEE//+5sAAI//+5sAAI///HwAEM
        ///HwAEQTE1UAEVEVABFU1QARVdUAEVQVAAAAAABAAEAAAABAAFUWmlmMgAAAAAAAAAAAAAAAAAA
        AAAAAAYAAAAGAAAAAAAAAOwAAAAGAAAAFP////9eA/CQ/////56mHnD/////n7rrYP////+ghgBw
        /////6GazWD/////omXicP////+jg+ng/////6RqrnD/////pTWnYP////+mU8rw/////6cViWD/
        ////qDOs8P////+o/qXg/////6oTjvD/////qt6H4P////+r83Dw/////6y+aeD/////rdNS8P//
        //+unkvg/////6+zNPD/////sH4t4P////+xnFFw/////7JnSmD/////s3wzcP////+0Ryxg////
        /7VcFXD/////ticOYP////+3O/dw/////7gG8GD/////uRvZcP////+55tJg/////7sE9fD/////
        u8a0YP////+85Nfw/////72v0OD/////vsS58P////+/j7Lg/////8Ckm/D/////wW+U4P/////C
        hH3w/////8NPduD/////xGRf8P/////FL1jg/////8ZNfHD/////xw864P/////ILV5w/////8j4
        V2D/////yg1AcP/////K2Dlg/////8uI8HD/////0iP0cP/////SYPvg/////9N15PD/////1EDd
        4P/////VVcbw/////9Ygv+D/////1zWo8P/////YAKHg/////9kVivD/////2eCD4P/////a/qdw
        /////9vAZeD/////3N6JcP/////dqYJg/////96+a3D/////34lkYP/////gnk1w/////+FpRmD/
        ////4n4vcP/////jSShg/////+ReEXD/////5Vcu4P/////mRy3w/////+c3EOD/////6CcP8P//
        ///pFvLg/////+oG8fD/////6vbU4P/////r5tPw/////+zWtuD/////7ca18P/////uv9Ng////
        /++v0nD/////8J+1YP/////xj7Rw//////J/l2D/////82+WcP/////0X3lg//////VPeHD/////
        9j9bYP/////3L1pw//////god+D/////+Q88cP/////6CFng//////r4WPD/////++g74P/////8
        2Drw//////3IHeD//////rgc8P//////p//gAAAAAACX/vAAAAAAAYfh4AAAAAACd+DwAAAAAANw
        /mAAAAAABGD9cAAAAAAFUOBgAAAAAAZA33AAAAAABzDCYAAAAAAHjRlwAAAAAAkQpGAAAAAACa2U
        8AAAAAAK8IZgAAAAAAvghXAAAAAADNmi4AAAAAANwGdwAAAAAA65hOAAAAAAD6mD8AAAAAAQmWbg
        AAAAABGJZfAAAAAAEnlI4AAAAAATaUfwAAAAABRZKuAAAAAAFUkp8AAAAAAWOQzgAAAAABcpC/AA
        AAAAGCIpYAAAAAAZCO3wAAAAABoCC2AAAAAAGvIKcAAAAAAb4e1gAAAAABzR7HAAAAAAHcHPYAAA
        AAAesc5wAAAAAB+hsWAAAAAAIHYA8AAAAAAhgZNgAAAAACJV4vAAAAAAI2qv4AAAAAAkNcTwAAAA
        ACVKkeAAAAAAJhWm8AAAAAAnKnPgAAAAACf+w3AAAAAAKQpV4AAAAAAp3qVwAAAAACrqN+AAAAAA
        K76HcAAAAAAs01RgAAAAAC2eaXAAAAAALrM2YAAAAAAvfktwAAAAADCTGGAAAAAAMWdn8AAAAAAy
        cvpgAAAAADNHSfAAAAAANFLcYAAAAAA1JyvwAAAAADYyvmAAAAAANwcN8AAAAAA4G9rgAAAAADjm
        7/AAAAAAOfu84AAAAAA6xtHwAAAAADvbnuAAAAAAPK/ucAAAAAA9u4DgAAAAAD6P0HAAAAAAP5ti
        4AAAAABAb7JwAAAAAEGEf2AAAAAAQk+UcAAAAABDZGFgAAAAAEQvdnAAAAAARURDYAAAAABF86jw
        AAAAAEctX+AAAAAAR9OK8AAAAABJDUHgAAAAAEmzbPAAAAAASu0j4AAAAABLnIlwAAAAAEzWQGAA
        AAAATXxrcAAAAABOtiJgAAAAAE9cTXAAAAAAUJYEYAAAAABRPC9wAAAAAFJ15mAAAAAAUxwRcAAA
        AABUVchgAAAAAFT783AAAAAAVjWqYAAAAABW5Q/wAAAAAFgexuAAAAAAWMTx8AAAAABZ/qjgAAAA
        AFqk0/AAAAAAW96K4AAAAABchLXwAAAAAF2+bOAAAAAAXmSX8AAAAABfnk7gAAAAAGBNtHAAAAAA
        YYdrYAAAAABiLZZwAAAAAGNnTWAAAAAAZA14cAAAAABlRy9gAAAAAGXtWnAAAAAAZycRYAAAAABn
        zTxwAAAAAGkG82AAAAAAaa0ecAAAAABq5tVgAAAAAGuWOvAAAAAAbM/x4AAAAABtdhzwAAAAAG6v
        0+AAAAAAb1X+8AAAAABwj7XgAAAAAHE14PAAAAAAcm+X4AAAAABzFcLwAAAAAHRPeeAAAAAAdP7f
        cAAAAAB2OJZgAAAAAHbewXAAAAAAeBh4YAAAAAB4vqNwAAAAAHn4WmAAAAAAep6FcAAAAAB72Dxg
        AAAAAHx+Z3AAAAAAfbgeYAAAAAB+XklwAAAAAH+YAGADAQIBAgECAQIBAgECAQIBAgECAQIBAgEC
        AQIBAgECAQIBAgECAQIBAgECAQIBAgECBAUCAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgEC
        AQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIB
        AgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgEC
        AQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAgECAQIBAv//up4AAP//x8ABBP//ubAA
        CP//ubAACP//x8ABDP//x8ABEExNVABFRFQARVNUAEVXVABFUFQAAAAAAQABAAAAAQABCkVTVDVF
        RFQsTTMuMi4wLE0xMS4xLjAK
        """

    static let berlin = decodeBase64(berlinBase64)
    static let newYork = decodeBase64(newYorkBase64)

    /// Just enough base64 for the literals above (no Foundation in these tests either).
    static func decodeBase64(_ text: String) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var value: [UInt8: UInt32] = [:]
        for (i, c) in alphabet.enumerated() { value[c] = UInt32(i) }
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for c in text.utf8 {
            guard let v = value[c] else { continue }  // newlines, blanks and '=' padding
            buffer = buffer << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}

extension TimeZoneFixtures {
    /// "YYYY-MM-DD HH:MM:SS" read as UTC. CivilTime itself is checked against `date -u`
    /// in TimeZoneRulesTests, so tables can be written as readable dates.
    static func utc(_ text: String) -> Int64 {
        let n = text.split(whereSeparator: { "- :".contains($0) }).map { Int($0)! }
        return CivilTime(year: n[0], month: n[1], day: n[2], hour: n[3], minute: n[4], second: n.count > 5 ? n[5] : 0)
            .secondsSinceEpoch
    }

    /// The UTC instant as "YYYY-MM-DD HH:MM:SS", for readable failures.
    static func show(_ t: Int64?) -> String {
        t.map { CivilTime(secondsSinceEpoch: $0).description } ?? "nil"
    }

    static let berlinRule = "CET-1CEST,M3.5.0,M10.5.0/3"
    static let newYorkRule = "EST5EDT,M3.2.0,M11.1.0"

    /// The zones by name, each both from the real file and from its footer rule alone, so
    /// that DST tables run on the transition table (to 2037) and on the rule.
    static func zones(_ name: String) -> [TimeZoneRules] {
        switch name {
        case "Europe/Berlin": return [try! TimeZoneRules(tzif: berlin), try! TimeZoneRules(posixTZ: berlinRule)]
        case "America/New_York":
            return [try! TimeZoneRules(tzif: newYork), try! TimeZoneRules(posixTZ: newYorkRule)]
        case "Australia/Lord_Howe": return [try! TimeZoneRules(posixTZ: "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0")]
        case "UTC": return [TimeZoneRules.utc, try! TimeZoneRules(posixTZ: "UTC0")]
        default: fatalError("no fixture for \(name)")
        }
    }
}
