# Assessment step 3: ranks.
# For every score above the indicators (element and dimension scores, groups, indices): its
# rank among the cities scored on the same framework node in the same year (1 = highest; ties
# share the better rank; scores equal at 1e-9 tie): 1 + the number of scores of the node and
# year that are higher.
# Counting the higher scores pair by pair is quadratic in the number of cities, so the scores
# of each (node, year) are first put into value buckets (about one bucket per 4 cities) and
# the buckets into blocks of 8 consecutive buckets, staged in the staging graph: a score is
# outranked by every score in a higher block (counted per block), in a higher bucket of its
# block (counted per bucket) and by the higher scores of its own bucket (counted pair by pair).
# The buckets are of equal width in f(z) = z / (1 + |z|), z = (value - mean) / spread with
# spread = (max - min) / 6: for bell-shaped scores they hold about equally many cities, where
# buckets of equal width in the value crowd the middle ones (and the pairs grow with the
# square of a bucket's size). f is written as 1 - 1 / (1 + z) for z >= 0 and 1 / (1 - z) - 1
# below, each step monotonic in floating point, so the bucket never decreases as the value
# grows and the count is exact whatever the distribution. The framework's nodes are taken
# once each (DISTINCT), even where several graphs hold the framework (e.g. a copy with other
# weights).
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (read and written)
#   ?stage      IRI of the run's staging graph (read and written)
#   ?framework  IRI of the assessment framework
# Writes: csp:rankValue on each such score; in the staging graph, per (node, year) a group
#   with stage:node, stage:year, stage:centre (mean), stage:spread, stage:low and stage:high
#   (f of the minimum and maximum), stage:buckets; per score its bucket (stage:bucketOf) and
#   value (stage:value); per bucket its group (stage:group), number (stage:bucket), size
#   (stage:size), block (stage:block) and the number of scores in the higher buckets
#   (stage:above); per block its group (stage:blockGroup), number (stage:blockNumber) and the
#   number of scores in the higher blocks (stage:above).
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT {
  GRAPH ?stage {
    ?group stage:node ?node ; stage:year ?year ; stage:low ?low ; stage:high ?high ;
           stage:centre ?centre ; stage:spread ?spread ; stage:buckets ?buckets .
  }
}
WHERE {
  {
    SELECT ?node ?year (MIN(?value) AS ?min) (MAX(?value) AS ?max) (COUNT(?score) AS ?n)
           (AVG(?value) AS ?centre)
    WHERE {
      {
        SELECT DISTINCT ?node WHERE {
          GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level ?nodeLevel . }
          FILTER (?nodeLevel > 0)
        }
      }
      GRAPH ?run { ?score csp:frameworkNode ?node ; csp:refYear ?year ;
                          csp:scoreValue ?value . }
    }
    GROUP BY ?node ?year
  }
  BIND (xsd:integer(FLOOR(xsd:decimal(?n) / 4)) + 1 AS ?buckets)
  BIND (IF(?max = ?min, 1.0e0, xsd:double(?max - ?min) / 6) AS ?spread)
  BIND ((?min - ?centre) / ?spread AS ?zLow)
  BIND ((?max - ?centre) / ?spread AS ?zHigh)
  BIND (IF(?zLow >= 0, 1 - 1 / (1 + ?zLow), 1 / (1 - ?zLow) - 1) AS ?low)
  BIND (IF(?zHigh >= 0, 1 - 1 / (1 + ?zHigh), 1 / (1 - ?zHigh) - 1) AS ?high)
  BIND (IRI(CONCAT(STR(?stage), "/rank-group/", MD5(CONCAT(STR(?node), " ", STR(?year)))))
        AS ?group)
} ;

INSERT {
  GRAPH ?stage {
    ?score stage:bucketOf ?bucketNode ; stage:value ?key .
    ?bucketNode stage:group ?group ; stage:bucket ?bucket .
  }
}
WHERE {
  {
    SELECT DISTINCT ?node WHERE {
      GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level ?nodeLevel . }
      FILTER (?nodeLevel > 0)
    }
  }
  GRAPH ?run { ?score csp:frameworkNode ?node ; csp:refYear ?year ; csp:scoreValue ?value . }
  {
    SELECT ?node ?year ?group ?low ?high ?centre ?spread ?buckets WHERE {
      GRAPH ?stage { ?group stage:node ?node ; stage:year ?year ; stage:low ?low ;
                            stage:high ?high ; stage:centre ?centre ; stage:spread ?spread ;
                            stage:buckets ?buckets . }
    }
  }
  # scores are compared at 1e-9: equal inputs summed in another order still tie
  BIND (ROUND(?value * 1.0e9) AS ?key)
  BIND ((?key / 1.0e9 - ?centre) / ?spread AS ?z)
  BIND (IF(?z >= 0, 1 - 1 / (1 + ?z), 1 / (1 - ?z) - 1) AS ?f)
  BIND (IF(?high = ?low, 0, xsd:integer(FLOOR((?f - ?low) * ?buckets / (?high - ?low))))
        AS ?bucket)
  BIND (IRI(CONCAT(STR(?group), "/", STR(?bucket))) AS ?bucketNode)
} ;

# per bucket: its size, and its block of 8 consecutive buckets (numbered FLOOR(bucket / 8),
# never decreasing as the bucket grows), with the block's group and number
INSERT {
  GRAPH ?stage {
    ?bucketNode stage:size ?size ; stage:block ?block .
    ?block stage:blockGroup ?group ; stage:blockNumber ?number .
  }
}
WHERE {
  {
    SELECT ?bucketNode (COUNT(?member) AS ?size) WHERE {
      GRAPH ?stage { ?member stage:bucketOf ?bucketNode . }
    }
    GROUP BY ?bucketNode
  }
  GRAPH ?stage { ?bucketNode stage:group ?group ; stage:bucket ?bucket . }
  BIND (xsd:integer(FLOOR(xsd:decimal(?bucket) / 8)) AS ?number)
  BIND (IRI(CONCAT(STR(?group), "/block/", STR(?number))) AS ?block)
} ;

# per block: the number of scores in the higher blocks of the same node and year
INSERT { GRAPH ?stage { ?block stage:above ?above . } }
WHERE {
  {
    SELECT ?block (SUM(IF(?higherNumber > ?number, ?higherSize, 0)) AS ?above) WHERE {
      GRAPH ?stage { ?block stage:blockGroup ?group ; stage:blockNumber ?number .
                     ?higher stage:blockGroup ?group ; stage:blockNumber ?higherNumber . }
      {
        SELECT ?higher (SUM(?size) AS ?higherSize) WHERE {
          GRAPH ?stage { ?member stage:block ?higher ; stage:size ?size . }
        }
        GROUP BY ?higher
      }
    }
    GROUP BY ?block
  }
} ;

# per bucket: the number of scores in the higher buckets of the same node and year: those in
# the higher blocks, and those in the higher buckets of its own block
INSERT { GRAPH ?stage { ?bucketNode stage:above ?above . } }
WHERE {
  {
    SELECT ?bucketNode (SUM(IF(?higherBucket > ?bucket, ?higherSize, 0)) AS ?inBlock) WHERE {
      GRAPH ?stage { ?bucketNode stage:block ?block ; stage:bucket ?bucket .
                     ?higher stage:block ?block ; stage:bucket ?higherBucket ;
                             stage:size ?higherSize . }
    }
    GROUP BY ?bucketNode
  }
  GRAPH ?stage { ?bucketNode stage:block ?block . ?block stage:above ?blockAbove . }
  BIND (?inBlock + ?blockAbove AS ?above)
} ;

# the rank: 1 + the higher scores in the own bucket (counted pair by pair; the score meets
# itself, so every score has a row and no OPTIONAL is needed) + the scores in the higher
# buckets
INSERT { GRAPH ?run { ?score csp:rankValue ?rank . } }
WHERE {
  {
    SELECT ?score (SUM(IF(?otherValue > ?value, 1, 0)) AS ?inside) WHERE {
      GRAPH ?stage { ?score stage:bucketOf ?bucketNode ; stage:value ?value .
                     ?other stage:bucketOf ?bucketNode ; stage:value ?otherValue . }
    }
    GROUP BY ?score
  }
  GRAPH ?stage { ?score stage:bucketOf ?bucketNode . ?bucketNode stage:above ?above . }
  BIND (1 + ?inside + ?above AS ?rank)
}
