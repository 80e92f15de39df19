//! Reading packed feeds (gzip, zip) without trusting what they claim to hold. A few
//! megabytes can unpack to gigabytes; members are streamed to the parser, and the bytes they
//! unpack to are counted against the packed file's size, so a bomb is refused early with a
//! plain reason instead of filling memory or the disk.

use std::cell::Cell;
use std::io::Read;

/// How much a packed file may unpack to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpackLimits {
    /// All members together may not unpack to more than this.
    pub max_bytes: u64,
    /// Nor to more than this many times the packed file's size, once past `ratio_floor`:
    /// feeds pack about ten to one, bombs a thousand to one.
    pub max_ratio: u64,
    /// Small files may pack as tightly as they like.
    pub ratio_floor: u64,
}

impl UnpackLimits {
    /// The limits every intel import applies.
    pub const FEEDS: UnpackLimits = UnpackLimits { max_bytes: 4 << 30, max_ratio: 40, ratio_floor: 16 << 20 };
}

/// Why a packed file was not read to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unpacking {
    TooLarge { limit: u64 },
    TooDense { ratio: u64 },
    Truncated,
}

impl Unpacking {
    pub fn reason(self) -> String {
        match self {
            Unpacking::TooLarge { limit } => {
                format!("it unpacks to more than {} GiB, more than any feed Rapport reads", limit >> 30)
            }
            Unpacking::TooDense { ratio } => format!(
                "it unpacks to more than {ratio} times its packed size, as a zip or gzip bomb does, \
                 not a feed"
            ),
            Unpacking::Truncated => "the packed stream ends early: the file is truncated".to_owned(),
        }
    }
}

/// What one packed file has unpacked to so far, shared by the readers of its members.
#[derive(Debug)]
pub struct Budget {
    packed: u64,
    limits: UnpackLimits,
    unpacked: Cell<u64>,
    stopped: Cell<Option<Unpacking>>,
}

impl Budget {
    pub fn new(packed: u64, limits: UnpackLimits) -> Budget {
        Budget { packed, limits, unpacked: Cell::new(0), stopped: Cell::new(None) }
    }

    /// Reads `inner`, counting what it gives against this budget.
    pub fn reader<R: Read>(&self, inner: R) -> Bounded<'_, R> {
        Bounded { inner, budget: self }
    }

    /// Why reading stopped, when the budget stopped it: the parser only saw an I/O error.
    pub fn stopped(&self) -> Option<Unpacking> {
        self.stopped.get()
    }

    fn spend(&self, bytes: u64) -> Option<Unpacking> {
        let unpacked = self.unpacked.get() + bytes;
        self.unpacked.set(unpacked);
        let limits = self.limits;
        if unpacked > limits.max_bytes {
            return Some(Unpacking::TooLarge { limit: limits.max_bytes });
        }
        let dense = unpacked > limits.ratio_floor && unpacked > self.packed.saturating_mul(limits.max_ratio);
        dense.then_some(Unpacking::TooDense { ratio: limits.max_ratio })
    }

    fn stop(&self, why: Unpacking) -> std::io::Error {
        self.stopped.set(Some(why));
        std::io::Error::other(why.reason())
    }
}

pub struct Bounded<'a, R> {
    inner: R,
    budget: &'a Budget,
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(why) = self.budget.stopped() {
            return Err(self.budget.stop(why));
        }
        let read = self.inner.read(buf).map_err(|error| {
            if error.kind() == std::io::ErrorKind::UnexpectedEof {
                self.budget.stop(Unpacking::Truncated)
            } else {
                error
            }
        })?;
        match self.budget.spend(read as u64) {
            Some(why) => Err(self.budget.stop(why)),
            None => Ok(read),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: UnpackLimits = UnpackLimits { max_bytes: 1000, max_ratio: 10, ratio_floor: 100 };

    fn read_all(budget: &Budget, data: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        budget.reader(data).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_file_within_the_limits_reads_whole() {
        let budget = Budget::new(50, SMALL);
        assert_eq!(read_all(&budget, &[7; 500]).unwrap().len(), 500);
        assert_eq!(budget.stopped(), None);
    }

    #[test]
    fn small_files_may_pack_tightly() {
        let budget = Budget::new(1, SMALL);
        assert_eq!(read_all(&budget, &[0; 100]).unwrap().len(), 100);
    }

    #[test]
    fn unpacking_far_beyond_the_packed_size_stops() {
        let budget = Budget::new(20, SMALL);
        let error = read_all(&budget, &[0; 900]).unwrap_err();
        assert_eq!(budget.stopped(), Some(Unpacking::TooDense { ratio: 10 }));
        assert!(error.to_string().contains("more than 10 times its packed size"), "{error}");
    }

    #[test]
    fn the_members_of_one_file_share_its_budget() {
        let budget = Budget::new(1000, SMALL);
        assert!(read_all(&budget, &[0; 600]).is_ok());
        assert!(read_all(&budget, &[0; 600]).is_err());
        assert_eq!(budget.stopped(), Some(Unpacking::TooLarge { limit: 1000 }));
    }

    #[test]
    fn a_stopped_budget_reads_no_further() {
        let budget = Budget::new(1, SMALL);
        assert!(read_all(&budget, &[0; 200]).is_err());
        assert!(read_all(&budget, &[0; 1]).is_err());
    }

    #[test]
    fn a_stream_that_ends_early_is_called_truncated() {
        struct Cut;
        impl Read for Cut {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            }
        }
        let budget = Budget::new(1, SMALL);
        assert!(budget.reader(Cut).read(&mut [0; 4]).is_err());
        assert_eq!(budget.stopped(), Some(Unpacking::Truncated));
    }
}
