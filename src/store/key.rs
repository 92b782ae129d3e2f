//! Key encoding: the byte order of an encoded key is the order of the keys.

use super::StoreError;

/// A type usable as a table key. `encode` must preserve order; `decode` inverts it.
pub trait Key {
    /// The owned form returned when keys are read back (`String` for `str`).
    type Owned;
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(bytes: &[u8]) -> Result<Self::Owned, String>;
}

impl Key for str {
    type Owned = String;
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
    fn decode(bytes: &[u8]) -> Result<String, String> {
        String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())
    }
}

impl Key for String {
    type Owned = String;
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_str().encode(out);
    }
    fn decode(bytes: &[u8]) -> Result<String, String> {
        str::decode(bytes)
    }
}

impl Key for u64 {
    type Owned = u64;
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn decode(bytes: &[u8]) -> Result<u64, String> {
        let array: [u8; 8] = bytes
            .try_into()
            .map_err(|_| format!("{} bytes, expected 8", bytes.len()))?;
        Ok(u64::from_be_bytes(array))
    }
}

impl Key for i64 {
    type Owned = i64;
    fn encode(&self, out: &mut Vec<u8>) {
        // Flipping the sign bit makes negative numbers sort before positive ones.
        out.extend_from_slice(&((*self as u64) ^ (1 << 63)).to_be_bytes());
    }
    fn decode(bytes: &[u8]) -> Result<i64, String> {
        u64::decode(bytes).map(|raw| (raw ^ (1 << 63)) as i64)
    }
}

/// A pair whose first part has a fixed width, so the pair sorts by first part, then second.
impl<A, B> Key for (A, B)
where
    A: Key<Owned = A> + FixedWidth,
    B: Key,
{
    type Owned = (A, B::Owned);
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
    fn decode(bytes: &[u8]) -> Result<Self::Owned, String> {
        if bytes.len() < A::WIDTH {
            return Err(format!(
                "{} bytes, expected at least {}",
                bytes.len(),
                A::WIDTH
            ));
        }
        let (a, b) = bytes.split_at(A::WIDTH);
        Ok((A::decode(a)?, B::decode(b)?))
    }
}

/// Keys with a constant encoded width, allowed as the first part of a pair.
pub trait FixedWidth {
    const WIDTH: usize;
}
impl FixedWidth for u64 {
    const WIDTH: usize = 8;
}
impl FixedWidth for i64 {
    const WIDTH: usize = 8;
}

pub(super) fn encode<K: Key + ?Sized>(key: &K) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    key.encode(&mut out);
    out
}

pub(super) fn decode<K: Key + ?Sized>(
    table: &'static str,
    bytes: &[u8],
) -> Result<K::Owned, StoreError> {
    K::decode(bytes).map_err(|detail| StoreError::Decode { table, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_preserved<K: Key + ?Sized>(keys: &[&K]) {
        let encoded: Vec<Vec<u8>> = keys.iter().map(|k| encode(*k)).collect();
        assert!(encoded.windows(2).all(|w| w[0] < w[1]), "{encoded:?}");
    }

    #[test]
    fn integers_sort_numerically() {
        order_preserved::<u64>(&[&0, &1, &255, &256, &u64::MAX]);
        order_preserved::<i64>(&[&i64::MIN, &-1, &0, &1, &i64::MAX]);
        for n in [i64::MIN, -5, 0, 7, i64::MAX] {
            assert_eq!(i64::decode(&encode(&n)), Ok(n));
        }
    }

    #[test]
    fn pairs_sort_by_first_then_second() {
        order_preserved::<(u64, u64)>(&[&(1, 9), &(2, 0), &(2, 1)]);
        order_preserved::<(i64, String)>(&[&(-1, "b".into()), &(0, "a".into()), &(0, "b".into())]);
    }

    #[test]
    fn garbage_keys_are_errors() {
        assert!(u64::decode(&[1, 2, 3]).is_err());
        assert!(<(u64, u64)>::decode(&[0; 5]).is_err());
        assert!(str::decode(&[0xff, 0xfe]).is_err());
    }
}
