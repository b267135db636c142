# Assessment step 3: ranks.
# For every score above the indicators (element and dimension scores, groups, indices): its
# rank among the cities scored on the same framework node in the same year (1 = highest; ties
# share the better rank).
# Parameters: (bound in every WHERE block)
#   ?run  IRI of the assessment run (read and written)
# Writes: csp:rankValue on each such score.
PREFIX csp:  <https://w3id.org/cityculture/ontology/>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>

INSERT { GRAPH ?run { ?score csp:rankValue ?rank . } }
WHERE {
  {
    # each score meets every score of its node and year, itself included, so every score
    # gets a row and no OPTIONAL with an outer FILTER is needed (engines differ on those);
    # the two sides are subqueries so that the store joins them on (node, year) by hash
    SELECT ?score (SUM(IF(?otherValue > ?value, 1, 0)) + 1 AS ?rank) WHERE {
      {
        SELECT ?score ?node ?year ?value WHERE {
          GRAPH ?run {
            ?score csp:frameworkNode ?node ; csp:refYear ?year ; csp:scoreValue ?value .
            FILTER NOT EXISTS { ?score a csp:IndicatorScore }
          }
        }
      }
      {
        SELECT ?node ?year ?other ?otherValue WHERE {
          GRAPH ?run {
            ?other csp:frameworkNode ?node ; csp:refYear ?year ; csp:scoreValue ?otherValue .
            FILTER NOT EXISTS { ?other a csp:IndicatorScore }
          }
        }
      }
    }
    GROUP BY ?score
  }
}
