# Assessment step 3: ranks.
# For every score above the indicators (element and dimension scores, groups, indices): its
# rank among the cities scored on the same framework node in the same year (1 = highest; ties
# share the better rank; scores equal at 1e-9 tie): 1 + the number of scores of the node and
# year that are higher.
# Counting the higher scores pair by pair is quadratic in the number of cities, so the scores
# of each (node, year) are first put into value buckets of equal width (about one bucket per
# 16 cities, from the minimum and maximum of the node and year), staged in the staging graph:
# a score is outranked by every score in a higher bucket (counted per bucket) and by the
# higher scores of its own bucket (counted pair by pair). The bucket is monotonic in the
# value, so the count is exact. The framework's nodes are taken once each (DISTINCT), even
# where several graphs hold the framework (e.g. a copy with other weights).
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (read and written)
#   ?stage      IRI of the run's staging graph (read and written)
#   ?framework  IRI of the assessment framework
# Writes: csp:rankValue on each such score; in the staging graph, per (node, year) a group
#   with stage:node, stage:year, stage:min, stage:max, stage:buckets; per score its bucket
#   (stage:bucketOf), value (stage:value) and higher scores in its bucket (stage:inside);
#   per bucket its group (stage:group), number (stage:bucket) and the number of scores in
#   the higher buckets (stage:above).
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT {
  GRAPH ?stage {
    ?group stage:node ?node ; stage:year ?year ; stage:min ?min ; stage:max ?max ;
           stage:buckets ?buckets .
  }
}
WHERE {
  {
    SELECT ?node ?year (MIN(?value) AS ?min) (MAX(?value) AS ?max) (COUNT(?score) AS ?n)
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
  BIND (xsd:integer(FLOOR(xsd:decimal(?n) / 16)) + 1 AS ?buckets)
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
    SELECT ?node ?year ?group ?min ?max ?buckets WHERE {
      GRAPH ?stage { ?group stage:node ?node ; stage:year ?year ; stage:min ?min ;
                            stage:max ?max ; stage:buckets ?buckets . }
    }
  }
  # scores are compared at 1e-9: equal inputs summed in another order still tie
  BIND (ROUND(?value * 1.0e9) AS ?key)
  BIND (IF(?max = ?min, 0,
           xsd:integer(FLOOR((?key / 1.0e9 - ?min) * ?buckets / (?max - ?min)))) AS ?bucket)
  BIND (IRI(CONCAT(STR(?group), "/", STR(?bucket))) AS ?bucketNode)
} ;

# per bucket: the number of scores in the higher buckets of the same node and year
INSERT { GRAPH ?stage { ?bucketNode stage:above ?above . } }
WHERE {
  {
    SELECT ?bucketNode (SUM(IF(?higherBucket > ?bucket, ?size, 0)) AS ?above) WHERE {
      GRAPH ?stage { ?bucketNode stage:group ?group ; stage:bucket ?bucket .
                     ?higher stage:group ?group ; stage:bucket ?higherBucket . }
      {
        SELECT ?higher (COUNT(?member) AS ?size) WHERE {
          GRAPH ?stage { ?member stage:bucketOf ?higher . }
        }
        GROUP BY ?higher
      }
    }
    GROUP BY ?bucketNode
  }
} ;

# per score: the higher scores in its own bucket (the score meets itself, so every score has
# a row and no OPTIONAL is needed); one graph pattern, so every engine joins it by lookups
INSERT { GRAPH ?stage { ?score stage:inside ?inside . } }
WHERE {
  {
    SELECT ?score (SUM(IF(?otherValue > ?value, 1, 0)) AS ?inside) WHERE {
      GRAPH ?stage { ?score stage:bucketOf ?bucketNode ; stage:value ?value .
                     ?other stage:bucketOf ?bucketNode ; stage:value ?otherValue . }
    }
    GROUP BY ?score
  }
} ;

# the rank: 1 + the higher scores in the own bucket + the scores in the higher buckets
INSERT { GRAPH ?run { ?score csp:rankValue ?rank . } }
WHERE {
  GRAPH ?stage { ?score stage:inside ?inside ; stage:bucketOf ?bucketNode .
                 ?bucketNode stage:above ?above . }
  BIND (1 + ?inside + ?above AS ?rank)
}
